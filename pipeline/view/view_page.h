// The attention viewer page (`bertology view`, stage `attention_view`): what it shows and how it
// is written. One self-contained HTML file: the page script and style are inline, the data is
// one JSON object in the page, and nothing is fetched (it opens from disk, offline).
//
// Data layout in the page (L = layers shown, H = heads shown, n = tokens of a sentence, wordpieces
// or word-level units):
//   sentence.maps   base64 of zlib-deflated uint8 [L, H, n, n]: [layer][head][query][key],
//                   quantised per map (attention_quantize.h), decoded in the browser
//                   (DecompressionStream) only when the sentence is shown
//   sentence.scales [L * H] float: the scale of each map (value = q * scale)
// Size: L * H * n^2 bytes before deflate per sentence (BERT-large, n = 128: 6.3 MB; attention maps
// are mostly near zero and deflate 3-10x), plus base64's 4/3.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace bertology {

/// What the stages measured about one head (NaN / empty where that stage has not run).
struct ViewHeadNote {
  int layer = 0, head = 0;  ///< 1-based, as in the stages' tables
  std::string behaviour;    ///< head_clusters: Clark's behaviour label
  double to_cls = std::numeric_limits<double>::quiet_NaN();    ///< attention_patterns: mean share to [CLS]
  double to_sep = std::numeric_limits<double>::quiet_NaN();    ///< ... to [SEP]
  double to_punct = std::numeric_limits<double>::quiet_NaN();  ///< ... to punctuation
  double entropy = std::numeric_limits<double>::quiet_NaN();   ///< ... mean entropy (nats)
  std::string best_relation;  ///< dependency_heads: the relation this head predicts best over its baseline
  std::string best_direction;  ///< dep_to_head | head_to_dep
  double best_accuracy = std::numeric_limits<double>::quiet_NaN();  ///< % on that relation
  double baseline_accuracy = std::numeric_limits<double>::quiet_NaN();  ///< the relation's best offset baseline, %
};

/// A gold dependency arc between two tokens of a sentence (token = index into ViewSentence::tokens).
struct ViewArc {
  int dependent = 0;
  int head = -1;  ///< -1 for the root
  std::string relation;
};

/// One sentence of the page.
struct ViewSentence {
  std::string label;                ///< "#12 (sent_id ...)": shown in the sentence picker
  std::vector<std::string> tokens;  ///< n display tokens (wordpieces or words; specials as such)
  std::vector<uint8_t> is_word;     ///< per token, 1 for a word (its first piece at wordpiece level), 0 for specials
                                    ///< and later pieces: the candidates of the relation picker's argmax
  std::vector<ViewArc> gold;        ///< gold arcs, when the corpus has them
  std::vector<uint8_t> maps;        ///< [L, H, n, n] quantised (see the file comment)
  std::vector<float> scales;        ///< [L * H]

  /// Appends the next layer's maps: `attention` = [H, n, n] float (n = tokens.size()), heads in
  /// page order. Layers are added in page order.
  void add_layer(const std::vector<float>& attention, int heads);
};

/// The whole page.
struct ViewPage {
  std::string title;                 ///< heading
  std::string model;                 ///< model name shown (checkpoint folder name)
  std::string source;                ///< the cache entry or file the maps come from
  std::string level = "wordpiece";   ///< wordpiece | word (Clark's conversion)
  std::vector<int> layers;           ///< 1-based layer numbers of the L axis
  std::vector<int> heads;            ///< 1-based head numbers of the H axis
  std::vector<ViewSentence> sentences;
  std::vector<ViewHeadNote> notes;   ///< any subset of heads; none when no stage results were found
  std::string notes_source;          ///< where the notes come from (results folder), for the page
};

/// The page as one HTML document (template compiled in from pipeline/view/view_page.html).
/// InternalError when a sentence's maps do not match L, H and its token count.
std::string render_view_html(const ViewPage& page);

/// sha256 of the compiled-in page template: a stage records it, so that a changed page is rebuilt.
std::string view_page_template_sha256();

/// base64 (RFC 4648, with padding) of `bytes`.
std::string base64_encode(const uint8_t* bytes, size_t size);
/// zlib-format deflate (RFC 1950) of `bytes` at `level` (what DecompressionStream("deflate") reads).
std::vector<uint8_t> zlib_deflate(const uint8_t* bytes, size_t size, int level = 6);

}  // namespace bertology
