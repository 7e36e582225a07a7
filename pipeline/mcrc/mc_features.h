// Model inputs of a multiple-choice question: one `[CLS] passage [SEP] question+option [SEP]`
// sequence per option, as Hugging Face's BertForMultipleChoice examples build them
// (tokenizer(passage, filled_question(ex, k), truncation="longest_first", max_length=N)).
// Torch-free; mc_batch.h turns these into padded tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/mcrc/mc_example.h"
#include "pipeline/tokenizer/bert_tokenizer.h"

namespace bertology {

/// The encoded options of one question; the vectors of one option are parallel.
struct McFeatures {
  std::vector<std::vector<int32_t>> input_ids;       ///< per option: [CLS] p [SEP] q+o [SEP]
  std::vector<std::vector<int32_t>> token_type_ids;  ///< per option: 0 up to the first [SEP], then 1
  int answer = -1;                                   ///< index of the correct option
  int truncated_options = 0;                         ///< options whose pair was cut to max_length
  int passage_truncated_options = 0;                 ///< options whose passage lost tokens
  int added_text_options = 0;                        ///< options whose input holds attack-written text
  int added_text_cut_options = 0;                    ///< of those, options that lost some of it
  int64_t tokens() const;                            ///< sum of the option lengths
};

/// A segment of a pair input whose tokens may be marked as kept (text an attack wrote).
struct TokenSegment {
  std::vector<int32_t> ids;
  std::vector<bool> kept;  ///< parallel to ids
  int64_t kept_cut = 0;    ///< kept tokens removed by truncation
  int64_t cut = 0;         ///< tokens removed by truncation
};

/// HF `truncation="longest_first"` for a pair, sparing kept tokens: each of the `excess` removals
/// picks the segment as HF does (the longer one, `second` on a tie) and removes its last token
/// that is not kept; when it has none, the other segment's last such token; only when neither has
/// any, the chosen segment's last token (counted in kept_cut). Without kept tokens this is HF's
/// cut exactly (HF computes it in closed form; one token at a time is the definition it reproduces).
void truncate_sparing_kept(TokenSegment& first, TokenSegment& second, int64_t excess);

/// Encodes every option of `example`. max_length counts the three special tokens and must be
/// at least 4; InputError naming the example when the question has fewer than 2 options or the
/// answer is not one of them. Every input is tokenized exactly as HF does; only truncation differs
/// where an attack wrote text (McExample::passage_added_from, attacked_options): those tokens (the
/// passage's appended tail; a rewritten option's tokens, or the whole question+option segment when
/// a cloze blank glued to letters makes them inseparable) are spared by truncate_sparing_kept, so
/// the segment HF would cut loses its other tokens first (the original passage, or the question
/// when that segment is the longer). Kept tokens are cut only when the kept tokens of both
/// segments exceed max_length − 3 (counted in added_text_cut_options).
McFeatures encode_mc_example(const BertTokenizer& tokenizer, const McExample& example, int max_length);

/// encode_mc_example over a set.
std::vector<McFeatures> encode_mc_examples(const BertTokenizer& tokenizer, const std::vector<McExample>& examples,
                                           int max_length);

}  // namespace bertology
