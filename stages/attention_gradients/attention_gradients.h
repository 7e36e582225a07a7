// Clark et al. (2019) §3.2, Figure 3: how much the masked-LM loss depends on attention to [SEP],
// to punctuation and to other tokens — the magnitude of ∂L/∂α per layer. The paper's code was
// never released and its masking is unspecified; ours (documented in docs/clark2019.md):
//   - per sequence, each wordpiece that is not [CLS]/[SEP] is masked with probability p (at
//     least one), drawn from mt19937_64 seeded by (seed, sequence index): the same pieces are
//     masked whatever the rank count;
//   - masked pieces become [MASK] (no 80/10/10 replacement: the loss should measure the model,
//     not the augmentation); L = mean cross-entropy of the original ids at the masked positions;
//   - model in eval mode (no dropout); gradients of L with respect to every layer's attention
//     probabilities α[h, i, j] (after softmax, before dropout).
// The header is torch-free (the model lives behind a pointer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/analysis/attention_measures.h"

namespace bertology {

/// Gradient categories by the key token j, in CSV column order.
enum GradientTarget : int { kGradToSep, kGradToPunct, kGradToOther, kNumGradientTargets };
const char* gradient_target_name(int target);  ///< "to_sep" | "to_punct" | "to_other"

/// Positions to mask in a sequence of `kinds` (see the file comment). p in [0, 1].
std::vector<int> choose_masked_positions(const std::vector<TokenKind>& kinds, double p, uint64_t seed,
                                         int64_t sequence_index);

/// A BERT checkpoint with its MLM head, for gradient analyses.
class AttentionGradientModel {
 public:
  /// Loads `model_dir` on the CPU; InputError naming the folder when it has no MLM head
  /// (cls.predictions.*).
  AttentionGradientModel(const std::string& model_dir, int threads);
  ~AttentionGradientModel();
  int num_layers() const;
  int32_t mask_id() const { return mask_id_; }

  /// Adds, for each layer l and target c, the mean |∂L/∂α[h,i,j]| over heads h, query rows i and
  /// keys j of category c in this sequence to sums[l * kNumGradientTargets + c]; a category with
  /// no key in the sequence adds 0 and does not count (counts[l * kNumGradientTargets + c] += 1
  /// only when present). Returns the loss L.
  double add_sequence(const std::vector<int32_t>& input_ids, const std::vector<int32_t>& segment_ids,
                      const std::vector<TokenKind>& kinds, const std::vector<int>& masked, std::vector<double>& sums,
                      std::vector<double>& counts) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int32_t mask_id_ = -1;
};

}  // namespace bertology
