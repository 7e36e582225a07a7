#include "pipeline/mcrc/mc_questions.h"

#include "pipeline/util/error.h"
#include "pipeline/util/human_bytes.h"

namespace bertology {

void McSetCounts::add(const McFeatures& f) {
  const auto options = static_cast<int64_t>(f.input_ids.size());
  ++questions;
  inputs += options;
  tokens += f.tokens();
  truncated_inputs += f.truncated_options;
  passage_truncated_inputs += f.passage_truncated_options;
  added_text_inputs += f.added_text_options;
  added_text_cut_inputs += f.added_text_cut_options;
}

std::vector<McFeatures> HeldMcQuestions::features(const std::vector<int64_t>& which) const {
  std::vector<McFeatures> out;
  out.reserve(which.size());
  for (int64_t q : which) out.push_back(features_.at(static_cast<size_t>(q)));
  return out;
}

int64_t EncodedMcQuestions::held_bytes_of(const McFeatures& f) {
  return 8 * f.tokens() + 64 * static_cast<int64_t>(f.input_ids.size()) + 128;
}

EncodedMcQuestions::EncodedMcQuestions(const BertTokenizer& tokenizer, const std::vector<McExample>& examples,
                                       int max_length, int64_t hold_bytes)
    : tokenizer_(tokenizer), examples_(examples), max_length_(max_length) {
  held_ = true;
  for (const auto& ex : examples_) {
    McFeatures f = encode_mc_example(tokenizer_, ex, max_length_);
    counts_.add(f);
    if (!held_) continue;
    held_bytes_ += held_bytes_of(f);
    if (held_bytes_ > hold_bytes) {  // does not fit: encode on demand instead
      held_ = false;
      std::vector<McFeatures>().swap(held_features_);
      continue;
    }
    held_features_.push_back(std::move(f));
  }
}

std::vector<McFeatures> EncodedMcQuestions::features(const std::vector<int64_t>& which) const {
  std::vector<McFeatures> out;
  out.reserve(which.size());
  for (int64_t q : which) {
    BTL_CHECK(q >= 0 && q < size());
    out.push_back(held_ ? held_features_[static_cast<size_t>(q)]
                        : encode_mc_example(tokenizer_, examples_[static_cast<size_t>(q)], max_length_));
  }
  return out;
}

std::string EncodedMcQuestions::holding() const {
  return held_ ? "held (" + human_bytes(static_cast<double>(held_bytes_)) + ")" : "encoded per batch";
}

int64_t mc_text_bytes(const std::vector<McExample>& examples) {
  constexpr int64_t kStringHeader = 32;  // std::string (libstdc++), its small buffer included
  int64_t bytes = 0;
  for (const auto& ex : examples) {
    bytes += static_cast<int64_t>(sizeof(McExample)) + 4 * kStringHeader;
    bytes += static_cast<int64_t>(ex.id.size() + ex.origin.size() + ex.passage.size() + ex.question.size());
    for (const auto& o : ex.options) bytes += kStringHeader + static_cast<int64_t>(o.size());
    bytes += static_cast<int64_t>(ex.attacked_options.size() / 8 + 24);
  }
  return bytes;
}

}  // namespace bertology
