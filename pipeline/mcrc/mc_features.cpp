#include "pipeline/mcrc/mc_features.h"

#include "pipeline/util/error.h"

namespace bertology {

int64_t McFeatures::tokens() const {
  int64_t n = 0;
  for (const auto& ids : input_ids) n += static_cast<int64_t>(ids.size());
  return n;
}

void truncate_longest_first(std::vector<int32_t>& first, std::vector<int32_t>& second, int64_t excess) {
  for (; excess > 0; --excess) {
    if (first.size() > second.size()) first.pop_back();
    else if (!second.empty()) second.pop_back();
    else return;  // both empty: nothing left to cut
  }
}

McFeatures encode_mc_example(const BertTokenizer& tokenizer, const McExample& example, int max_length) {
  BTL_REQUIRE(max_length >= 4, "mcrc: max_length must be at least 4 ([CLS] p [SEP] q [SEP]), got ", max_length);
  BTL_REQUIRE(example.options.size() >= 2, example.origin, ": question ", example.id, " has ",
              example.options.size(), " options (at least 2 needed)");
  BTL_REQUIRE(example.answer >= 0 && example.answer < static_cast<int>(example.options.size()), example.origin,
              ": question ", example.id, " has answer index ", example.answer, " outside its ",
              example.options.size(), " options");
  McFeatures f;
  f.answer = example.answer;
  const auto passage = tokenizer.encode_text(example.passage, false).ids;
  const int64_t budget = max_length - 3;
  for (size_t k = 0; k < example.options.size(); ++k) {
    auto first = passage;
    auto second = tokenizer.encode_text(filled_question(example, static_cast<int>(k)), false).ids;
    const int64_t excess = static_cast<int64_t>(first.size() + second.size()) - budget;
    if (excess > 0) {
      truncate_longest_first(first, second, excess);
      ++f.truncated_options;
    }
    std::vector<int32_t> ids, types;
    ids.reserve(first.size() + second.size() + 3);
    ids.push_back(tokenizer.cls_id());
    ids.insert(ids.end(), first.begin(), first.end());
    ids.push_back(tokenizer.sep_id());
    types.assign(ids.size(), 0);
    ids.insert(ids.end(), second.begin(), second.end());
    ids.push_back(tokenizer.sep_id());
    types.resize(ids.size(), 1);
    f.input_ids.push_back(std::move(ids));
    f.token_type_ids.push_back(std::move(types));
  }
  return f;
}

std::vector<McFeatures> encode_mc_examples(const BertTokenizer& tokenizer, const std::vector<McExample>& examples,
                                           int max_length) {
  std::vector<McFeatures> out;
  out.reserve(examples.size());
  for (const auto& ex : examples) out.push_back(encode_mc_example(tokenizer, ex, max_length));
  return out;
}

}  // namespace bertology
