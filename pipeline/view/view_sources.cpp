#include "pipeline/view/view_sources.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>

#include "pipeline/io/hdf5_file.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

/// The indices a selection names among `total` items: its list (range-checked), else the first
/// max_sentences of those that match grep (or all) and are `available`.
std::vector<int64_t> pick(const ViewSelection& sel, int64_t total, const std::string& what,
                          const std::function<std::string(int64_t)>& text,
                          const std::function<bool(int64_t)>& available) {
  BTL_REQUIRE(sel.max_sentences >= 1, "--max-sentences: must be at least 1, not ", sel.max_sentences);
  std::vector<int64_t> out;
  if (!sel.sentences.empty()) {
    for (int64_t s : sel.sentences)
      BTL_REQUIRE(s >= 0 && s < total, sel.origin, ": sentence ", s, " is out of range (", what, " has ", total,
                  " sentences, numbered from 0)");
    return sel.sentences;
  }
  for (int64_t s = 0; s < total && static_cast<int64_t>(out.size()) < sel.max_sentences; ++s)
    if (available(s) && (sel.grep.empty() || text(s).find(sel.grep) != std::string::npos)) out.push_back(s);
  BTL_REQUIRE(!out.empty(), sel.grep.empty() ? cat(what, ": no sentence to show")
                                             : cat("--grep: no sentence of ", what, " contains \"", sel.grep, "\""));
  return out;
}

/// Display units of a sequence at word level, in the order CacheReader::to_word_level makes them
/// (first piece's position): each special token on its own, each word with pieces once.
struct Units {
  std::vector<int32_t> word_ids;         ///< per unit, -1 = special
  std::vector<int32_t> first_piece;      ///< per unit
  std::vector<int32_t> unit_of_word;     ///< per word id, -1 when it has no piece
};
Units units_of(const std::vector<int32_t>& word_ids, int32_t num_words) {
  Units u;
  u.unit_of_word.assign(static_cast<size_t>(std::max(num_words, 0)), -1);
  for (size_t t = 0; t < word_ids.size(); ++t) {
    const int32_t w = word_ids[t];
    if (w >= 0 && w < num_words && u.unit_of_word[static_cast<size_t>(w)] >= 0) continue;
    if (w >= 0 && w < num_words) u.unit_of_word[static_cast<size_t>(w)] = static_cast<int32_t>(u.word_ids.size());
    u.word_ids.push_back(w);
    u.first_piece.push_back(static_cast<int32_t>(t));
  }
  return u;
}

/// Word w's label from its pieces, "##" continuation marks dropped.
std::string joined_pieces(const std::vector<std::string>& pieces, const std::vector<int32_t>& word_ids, int32_t w) {
  std::string out;
  for (size_t t = 0; t < word_ids.size(); ++t)
    if (word_ids[t] == w) out += pieces[t].rfind("##", 0) == 0 ? pieces[t].substr(2) : pieces[t];
  return out;
}

/// Fills `vs.tokens` and `vs.is_word`: one entry per unit at word level (a special's piece, or
/// `word_label(word id)`), else one per wordpiece with each word's first piece marked.
void fill_tokens(ViewSentence& vs, const Units& units, const std::vector<std::string>& pieces, bool word_level,
                 const std::function<std::string(int32_t)>& word_label) {
  if (word_level) {
    for (size_t u = 0; u < units.word_ids.size(); ++u) {
      vs.tokens.push_back(units.word_ids[u] < 0 ? pieces[static_cast<size_t>(units.first_piece[u])]
                                                : word_label(units.word_ids[u]));
      vs.is_word.push_back(units.word_ids[u] >= 0);
    }
  } else {
    vs.tokens = pieces;
    vs.is_word.assign(pieces.size(), 0);
    for (size_t u = 0; u < units.word_ids.size(); ++u)
      if (units.word_ids[u] >= 0) vs.is_word[static_cast<size_t>(units.first_piece[u])] = 1;
  }
}

std::string sentence_text(const Sentence& s) {
  if (!s.text.empty()) return s.text;
  std::string out;
  for (const auto& w : s.words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

ViewPage view_from_cache(const CacheReader& reader, const BertTokenizer& tokenizer, const ViewSelection& sel) {
  BTL_REQUIRE(reader.has_attention(), reader.entry_dir(),
              ": the cache entry stores no attention (extract it with extract.attention: true)");
  const Corpus& corpus = reader.corpus();
  const int64_t total = static_cast<int64_t>(corpus.sentences.size());
  const auto picked = pick(
      sel, total, cat("corpus ", corpus.path), [&](int64_t s) { return sentence_text(corpus.sentences[static_cast<size_t>(s)]); },
      [&](int64_t s) { return reader.find_sequence(s) >= 0; });

  ViewPage page;
  page.source = reader.entry_dir();
  page.level = sel.word_level ? "word" : "wordpiece";
  for (int64_t l : reader.attention_layers()) page.layers.push_back(static_cast<int>(l) + 1);
  for (int64_t h : reader.attention_heads()) page.heads.push_back(static_cast<int>(h) + 1);
  const int H = static_cast<int>(page.heads.size());

  std::vector<int64_t> shown;  // sequences, each once (with input.pairs, A and B name the same one)
  for (int64_t s : picked) {
    const int64_t i = reader.find_sequence(s);
    BTL_REQUIRE(i >= 0, sel.origin, ": sentence ", s, " of ", corpus.path, " is not in the cache entry ",
                reader.entry_dir(), " (skipped as longer than the read limit of ", reader.read_max_length(),
                " wordpieces or the model's maximum)");
    if (std::find(shown.begin(), shown.end(), i) != shown.end()) continue;
    shown.push_back(i);
    const auto seq = reader.sequence(i);
    // Words of A then B, and the word-id offset of each sentence's words: B's start at the word id
    // of its first piece (the tokenizer's count of A's words, which a raw-text A does not list).
    std::vector<std::pair<const Sentence*, int32_t>> parts = {{&corpus.sentences[static_cast<size_t>(seq.sentence_a)], 0}};
    if (seq.sentence_b >= 0) {
      int32_t offset = seq.num_words;
      for (size_t t = 0; t < seq.word_ids.size(); ++t)
        if (seq.segment_ids[t] == 1 && seq.word_ids[t] >= 0) offset = std::min(offset, seq.word_ids[t]);
      parts.push_back({&corpus.sentences[static_cast<size_t>(seq.sentence_b)], offset});
    }
    std::vector<std::string> pieces;
    for (int32_t id : seq.input_ids) pieces.push_back(tokenizer.id_to_token(id));
    auto word_label = [&](int32_t w) -> std::string {
      for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        if (w >= it->second) {
          const auto& words = it->first->words;
          const size_t k = static_cast<size_t>(w - it->second);
          return k < words.size() ? words[k] : joined_pieces(pieces, seq.word_ids, w);
        }
      return joined_pieces(pieces, seq.word_ids, w);
    };

    ViewSentence vs;
    const Sentence& a = *parts.front().first;
    vs.label = cat("#", seq.sentence_a, seq.sentence_b >= 0 ? cat(" + #", seq.sentence_b) : std::string(),
                   a.fields.count("sent_id") ? cat(" ", a.fields.at("sent_id")) : std::string(), ": ",
                   sentence_text(a).substr(0, 80));
    const Units units = units_of(seq.word_ids, seq.num_words);
    // token index of word w: its unit (word level) or its first piece (wordpiece level)
    std::vector<int32_t> token_of_word(units.unit_of_word.size(), -1);
    for (size_t w = 0; w < units.unit_of_word.size(); ++w) {
      const int32_t u = units.unit_of_word[w];
      if (u >= 0) token_of_word[w] = sel.word_level ? u : units.first_piece[static_cast<size_t>(u)];
    }
    fill_tokens(vs, units, pieces, sel.word_level, word_label);
    for (const auto& [sentence, offset] : parts) {
      if (sentence->annotations.size() != sentence->words.size()) continue;
      for (size_t w = 0; w < sentence->annotations.size(); ++w) {
        const auto& ann = sentence->annotations[w];
        const size_t dep = static_cast<size_t>(offset) + w;
        if (ann.head < 0 || dep >= token_of_word.size() || token_of_word[dep] < 0) continue;
        int head_token = -1;
        if (ann.head > 0) {
          const size_t hw = static_cast<size_t>(offset + ann.head - 1);
          if (hw >= token_of_word.size() || token_of_word[hw] < 0) continue;
          head_token = token_of_word[hw];
        }
        vs.gold.push_back({token_of_word[dep], head_token, ann.deprel});
      }
    }
    for (int layer : page.layers) {
      if (sel.word_level) {
        std::vector<int32_t> unit_word_ids;
        auto maps = reader.word_attention(i, AttentionLayer{layer - 1}, sel.word_from, &unit_word_ids);
        BTL_CHECK(unit_word_ids == units.word_ids, "word units of sequence ", i);
        vs.add_layer(maps, H);
      } else {
        vs.add_layer(reader.attention(i, AttentionLayer{layer - 1}), H);
      }
    }
    page.sentences.push_back(std::move(vs));
  }
  return page;
}

ViewPage view_from_encode_file(const std::string& path, const ViewSelection& sel) {
  BTL_REQUIRE(fs::is_regular_file(path), path, ": no such file");
  H5File file = [&] {
    try {
      return H5File::open_read(path);
    } catch (const std::exception& e) {
      throw InputError(cat(path, ": cannot open as HDF5 (", e.what(), ")"));
    }
  }();
  std::string model_path;
  try {
    file.string_attribute("/", "bertology_version");
    model_path = file.string_attribute("/", "model_path");
  } catch (const std::exception&) {
    throw InputError(cat(path, ": not a `bertology encode` file (no bertology_version/model_path attributes)"));
  }
  auto group = [](int64_t i) { return cat("/sentences/", i); };
  int64_t total = 0;
  while (file.has_dataset(group(total) + "/input_ids")) ++total;
  BTL_REQUIRE(total > 0, path, ": the file holds no sentences");
  BTL_REQUIRE(file.has_dataset(group(0) + "/attention"), path,
              ": the file stores no attention (encode without --no-attention)");
  std::vector<std::string> texts(static_cast<size_t>(total));
  for (int64_t s = 0; s < total; ++s) {
    try {
      texts[static_cast<size_t>(s)] = file.string_attribute(group(s), "text");
    } catch (const std::exception&) {
    }
  }
  const auto picked = pick(sel, total, path, [&](int64_t s) { return texts[static_cast<size_t>(s)]; },
                           [](int64_t) { return true; });
  std::unique_ptr<BertTokenizer> tokenizer;
  try {
    tokenizer = std::make_unique<BertTokenizer>(BertTokenizer::from_model_dir(model_path));
  } catch (const std::exception&) {
    // the model folder moved: pieces are shown as ids
  }

  ViewPage page;
  page.source = path;
  page.model = fs::path(model_path).filename().string();
  page.level = sel.word_level ? "word" : "wordpiece";
  for (int64_t s : picked) {
    for (const char* dataset : {"/attention", "/word_ids"})
      BTL_REQUIRE(file.has_dataset(group(s) + dataset), path, ": ", group(s), " has no ", dataset + 1, " dataset");
    const auto dims = file.dims(group(s) + "/attention");  // [L, H, T, T]
    const auto ids = file.read_i64(group(s) + "/input_ids");
    const auto word_ids = file.read_i32(group(s) + "/word_ids");
    const int64_t T = static_cast<int64_t>(ids.size());
    BTL_REQUIRE(dims.size() == 4 && static_cast<int64_t>(dims[2]) == T && static_cast<int64_t>(dims[3]) == T &&
                    word_ids.size() == ids.size(),
                path, ": ", group(s), " has attention or word_ids that do not match its ", T, " input_ids");
    const int L = static_cast<int>(dims[0]), H = static_cast<int>(dims[1]);
    if (page.layers.empty()) {
      for (int l = 1; l <= L; ++l) page.layers.push_back(l);
      for (int h = 1; h <= H; ++h) page.heads.push_back(h);
    }
    BTL_REQUIRE(static_cast<int>(page.layers.size()) == L && static_cast<int>(page.heads.size()) == H, path, ": ",
                group(s), " has ", L, " x ", H, " attention maps, sentence ", picked.front(), " has ",
                page.layers.size(), " x ", page.heads.size());
    std::vector<std::string> pieces;
    for (int64_t id : ids)
      pieces.push_back(tokenizer ? tokenizer->id_to_token(static_cast<int32_t>(id)) : cat("id:", id));
    int32_t num_words = 0;
    for (int32_t w : word_ids) num_words = std::max(num_words, w + 1);
    ViewSentence vs;
    vs.label = cat("#", s, ": ", texts[static_cast<size_t>(s)].substr(0, 80));
    const Units units = units_of(word_ids, num_words);
    fill_tokens(vs, units, pieces, sel.word_level,
                [&](int32_t w) { return joined_pieces(pieces, word_ids, w); });
    const auto all = file.read_f32(group(s) + "/attention");
    for (float v : all)
      BTL_REQUIRE(std::isfinite(v) && v >= 0, path, ": ", group(s), "/attention holds ", v, ", not a probability");
    const size_t per_layer = static_cast<size_t>(H * T * T);
    for (int l = 0; l < L; ++l) {
      std::vector<float> maps(all.begin() + static_cast<std::ptrdiff_t>(l * per_layer),
                              all.begin() + static_cast<std::ptrdiff_t>((l + 1) * per_layer));
      if (sel.word_level) {
        std::vector<int32_t> unit_word_ids;
        maps = CacheReader::to_word_level(std::move(maps), H, T, word_ids.data(), num_words, sel.word_from, &unit_word_ids);
        BTL_CHECK(unit_word_ids == units.word_ids, "word units of ", group(s));
      }
      vs.add_layer(maps, H);
    }
    page.sentences.push_back(std::move(vs));
  }
  return page;
}

std::vector<ViewHeadNote> head_notes(const CsvFile* patterns, const CsvFile* heads, const CsvFile* relations,
                                     const CsvFile* embedding) {
  std::map<std::pair<int, int>, ViewHeadNote> notes;
  auto note = [&](const CsvFile& f, size_t r) -> ViewHeadNote& {
    const int layer = static_cast<int>(f.number(r, "layer")), head = static_cast<int>(f.number(r, "head"));
    ViewHeadNote& n = notes[{layer, head}];
    n.layer = layer, n.head = head;
    return n;
  };
  if (patterns)
    for (size_t r = 0; r < patterns->size(); ++r) {
      ViewHeadNote& n = note(*patterns, r);
      n.to_cls = patterns->number(r, "to_cls"), n.to_sep = patterns->number(r, "to_sep");
      n.to_punct = patterns->number(r, "to_punct"), n.entropy = patterns->number(r, "entropy");
    }
  if (heads && relations) {
    std::map<std::string, double> baseline;
    for (size_t r = 0; r < relations->size(); ++r)
      if (!relations->at(r, "baseline_accuracy").empty())
        baseline[relations->at(r, "relation")] = relations->number(r, "baseline_accuracy");
    std::map<std::pair<int, int>, double> best_margin;
    for (size_t r = 0; r < heads->size(); ++r) {
      const std::string& relation = heads->at(r, "relation");
      if (relation == "all" || !baseline.count(relation)) continue;
      ViewHeadNote& n = note(*heads, r);
      const double accuracy = heads->number(r, "accuracy"), margin = accuracy - baseline[relation];
      auto [it, fresh] = best_margin.insert({{n.layer, n.head}, margin});
      if (!fresh && margin <= it->second) continue;
      it->second = margin;
      n.best_relation = relation, n.best_direction = heads->at(r, "direction");
      n.best_accuracy = accuracy, n.baseline_accuracy = baseline[relation];
    }
  }
  if (embedding)
    for (size_t r = 0; r < embedding->size(); ++r) note(*embedding, r).behaviour = embedding->at(r, "behaviour");
  std::vector<ViewHeadNote> out;
  for (auto& [key, n] : notes) out.push_back(std::move(n));
  return out;
}

std::vector<ViewHeadNote> head_notes_from_dir(const std::string& dir) {
  auto load = [&](const char* stage, const char* file) -> std::unique_ptr<CsvFile> {
    const fs::path p = fs::path(dir) / stage / file;
    if (!fs::exists(p)) return nullptr;
    return std::make_unique<CsvFile>(CsvFile::read(p.string()));
  };
  const auto patterns = load("attention_patterns", "patterns.csv");
  const auto heads = load("dependency_heads", "heads.csv");
  const auto relations = load("dependency_heads", "relations.csv");
  const auto embedding = load("head_clusters", "embedding.csv");
  return head_notes(patterns.get(), heads.get(), relations.get(), embedding.get());
}

}  // namespace bertology
