// The questions a multiple-choice stage trains on or scores, as the model reads them. Encoded
// features take 8 B a token (int32 ids and token types) × C options × ℓ tokens a question: RACE
// train at ℓ = 512 is ~0.9 GB, more than the text they come from. EncodedMcQuestions holds them
// only when the stage's memory budget allows and otherwise encodes each batch's questions again
// from their text when it is asked for; encoding is deterministic, so both give the same batches.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/mcrc/mc_example.h"
#include "pipeline/mcrc/mc_features.h"
#include "pipeline/tokenizer/bert_tokenizer.h"

namespace bertology {

/// How truncation treated a set's model inputs (one input per option), summed over its questions.
struct McSetCounts {
  int64_t questions = 0;
  int64_t inputs = 0;                      ///< options of all questions
  int64_t tokens = 0;                      ///< sum of the inputs' lengths
  int64_t truncated_inputs = 0;            ///< cut to max_length
  int64_t passage_truncated_inputs = 0;    ///< whose passage lost tokens
  int64_t added_text_inputs = 0;           ///< holding text an attack wrote
  int64_t added_text_cut_inputs = 0;       ///< of those, inputs that lost some of it
  void add(const McFeatures& f);
};

/// A set of questions the trainer and the scorer read by index.
class McQuestions {
 public:
  virtual ~McQuestions() = default;
  virtual int64_t size() const = 0;
  /// The correct option of question q.
  virtual int answer(int64_t q) const = 0;
  /// The features of questions `which` (indices in [0, size())), in that order.
  virtual std::vector<McFeatures> features(const std::vector<int64_t>& which) const = 0;
};

/// Features encoded beforehand (tests, benchmarks). Keeps a reference: `features` must outlive it.
class HeldMcQuestions : public McQuestions {
 public:
  explicit HeldMcQuestions(const std::vector<McFeatures>& features) : features_(features) {}
  int64_t size() const override { return static_cast<int64_t>(features_.size()); }
  int answer(int64_t q) const override { return features_.at(static_cast<size_t>(q)).answer; }
  std::vector<McFeatures> features(const std::vector<int64_t>& which) const override;

 private:
  const std::vector<McFeatures>& features_;
};

/// Questions encoded from their text (encode_mc_example). The constructor encodes every question
/// once to count (counts()) and keeps the features when they take at most `hold_bytes`
/// (held_bytes_of); otherwise features() encodes the asked questions again on each call.
/// Keeps references: `tokenizer` and `examples` must outlive it.
class EncodedMcQuestions : public McQuestions {
 public:
  EncodedMcQuestions(const BertTokenizer& tokenizer, const std::vector<McExample>& examples, int max_length,
                     int64_t hold_bytes);
  int64_t size() const override { return static_cast<int64_t>(examples_.size()); }
  int answer(int64_t q) const override { return examples_.at(static_cast<size_t>(q)).answer; }
  std::vector<McFeatures> features(const std::vector<int64_t>& which) const override;

  const McSetCounts& counts() const { return counts_; }
  bool held() const { return held_; }
  /// Bytes the held features of this set take (0 when not held).
  int64_t held_bytes() const { return held_ ? held_bytes_ : 0; }
  /// "held (1.2 MiB)" or "encoded per batch", for logs.
  std::string holding() const;

  /// Memory of one question's held features: 8 B a token (ids and token types, int32) + 64 B an
  /// option (two vectors) + 128 B a question.
  static int64_t held_bytes_of(const McFeatures& f);

 private:
  const BertTokenizer& tokenizer_;
  const std::vector<McExample>& examples_;
  int max_length_;
  McSetCounts counts_;
  std::vector<McFeatures> held_features_;
  bool held_ = false;
  int64_t held_bytes_ = 0;
};

/// Memory the text of `examples` takes (strings and their headers), for budgets.
int64_t mc_text_bytes(const std::vector<McExample>& examples);

}  // namespace bertology
