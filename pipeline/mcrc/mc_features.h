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
  int64_t tokens() const;                            ///< sum of the option lengths
};

/// HF `truncation="longest_first"` for a pair: removes `excess` tokens from the ends of `first`
/// and `second`, always from the longer one, from `second` on a tie. (HF computes the same cut
/// in closed form; removing one token at a time is the definition it reproduces.)
void truncate_longest_first(std::vector<int32_t>& first, std::vector<int32_t>& second, int64_t excess);

/// Encodes every option of `example`. max_length counts the three special tokens and must be
/// at least 4; InputError naming the example when the question has fewer than 2 options or the
/// answer is not one of them.
McFeatures encode_mc_example(const BertTokenizer& tokenizer, const McExample& example, int max_length);

/// encode_mc_example over a set.
std::vector<McFeatures> encode_mc_examples(const BertTokenizer& tokenizer, const std::vector<McExample>& examples,
                                           int max_length);

}  // namespace bertology
