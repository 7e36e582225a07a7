// The edge probe as a LibTorch module (formulas: edge_probe.h), and the batch it reads. Used by
// train_edge_probe and by the parity test against a transcription of jiant
// (tests/model/test_edge_probe.cpp), which sets the parameters by these names:
//   proj1, proj2 (Linear d → proj_dim), attn1, attn2 (Linear proj_dim → 1), linear1 (Linear
//   (1|2)·proj_dim → hidden), norm (LayerNorm hidden), linear2 (Linear hidden → labels),
//   mix_scalars [layers], mix_gamma [1].
#pragma once

#include <torch/torch.h>

#include <vector>

#include "pipeline/probe/dropout_mask.h"
#include "pipeline/probe/edge_probe.h"

namespace bertology {

/// The targets of a batch of sentences, as tensors.
struct EdgeBatch {
  torch::Tensor x;             ///< [P, layers, d] float: every token row of the batch's sentences
  torch::Tensor index1, mask1; ///< [N, S1] int64 rows of x (0 where masked), [N, S1] bool
  torch::Tensor index2, mask2; ///< the same for span 2 (undefined when single-sided)
  /// The same spans flattened (attn and mean pool over these: no padding to the longest span):
  /// rows1 [Q1] rows of x of every span-1 token, target1 [Q1] the target each belongs to.
  torch::Tensor rows1, target1, rows2, target2;
  /// slot [Q] = target · width + position in the span: where each span token's attention logit
  /// goes in a [N, width] grid (width = the longest span) for a row-wise softmax.
  torch::Tensor slot1, slot2;
  int64_t width1 = 1, width2 = 1;
  torch::Tensor labels;        ///< [N, labels] float k-hot
  int64_t targets = 0;         ///< N
};

/// Stacks the sentences' vectors and targets (float16 values widened exactly). The padded
/// index/mask (max pooling only) are [N, 0] unless `padded_spans`.
EdgeBatch make_edge_batch(const std::vector<const EdgeSentence*>& sentences, int64_t dim, int64_t num_labels,
                          bool two_sided, bool padded_spans = true);

class EdgeProbeModuleImpl : public torch::nn::Module {
 public:
  EdgeProbeModuleImpl(int64_t dim, int64_t layers, const EdgeProbeOptions& options);
  /// Logits [N, labels] of the batch's targets.
  torch::Tensor forward(const EdgeBatch& batch);
  /// x [P, layers, d] → [P, d]: the scalar mix (mix), else the single layer.
  torch::Tensor mix_layers(const torch::Tensor& x);
  /// softmax(mix_scalars) as doubles (empty without mix).
  std::vector<double> mix_weights();

  torch::nn::Linear proj1{nullptr}, proj2{nullptr}, attn1{nullptr}, attn2{nullptr}, linear1{nullptr},
      linear2{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::Tensor mix_scalars, mix_gamma;

  /// Pooled, projected span representation [N, proj_dim] of one side: x [P, d] (mixed); index and
  /// mask [N, S] (max pooling) or rows and target [Q] (attn, mean) of EdgeBatch; that side's
  /// projection and attention.
  torch::Tensor span_representation(const torch::Tensor& x, const torch::Tensor& index, const torch::Tensor& mask,
                                    const torch::Tensor& rows, const torch::Tensor& target, const torch::Tensor& slot,
                                    int64_t width, int64_t targets, torch::nn::Linear& proj, torch::nn::Linear& attn);

 private:
  std::string pooling_;
  bool mix_, two_sided_;
  double dropout_, input_dropout_;
  DropoutMask dropout_stream_;  ///< both dropouts' masks (seeded by the probe's seed)
};
TORCH_MODULE(EdgeProbeModule);

}  // namespace bertology
