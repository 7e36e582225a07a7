// The fine-tuning optimiser of Hugging Face's Trainer, written out so that its state can be
// checkpointed next to the weights (safetensors) and resumed exactly:
//  - torch.optim.AdamW (decoupled weight decay; bias-corrected moments), weight decay off for
//    biases and LayerNorm weights (HF `get_decay_parameter_names`);
//  - get_linear_schedule_with_warmup: update k (0-based) uses lr * k / W while k < W, then
//    lr * max(0, (S - k) / (S - W)), with W = ceil(warmup_ratio * S) warm-up steps of S.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/model/raw_tensor.h"

namespace bertology {

/// Learning rate of update `step` (0-based) of `total_steps` with `warmup_steps` warm-up steps.
double linear_warmup_lr(double peak_lr, int64_t step, int64_t warmup_steps, int64_t total_steps);
/// HF Trainer's warm-up steps: ceil(ratio * total_steps).
int64_t warmup_steps_for(double ratio, int64_t total_steps);

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;           ///< HF Trainer default (adam_epsilon)
  double weight_decay = 0.01;  ///< on every parameter but biases and LayerNorm weights
};

class AdamW {
 public:
  /// `named` = (HF name, parameter) pairs; names decide weight decay and key the saved state.
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> named, AdamWOptions options);

  /// One update with learning rate `lr` from the parameters' current .grad() (a parameter
  /// without a gradient is treated as a zero gradient, as torch.optim skips only None grads
  /// when they are None on every step; here all parameters get moments).
  void step(double lr);
  /// Sets every gradient to zero (keeps the buffers).
  void zero_grad();
  /// Updates done so far.
  int64_t steps() const { return steps_; }

  /// Moments as float32 records "exp_avg.<name>" and "exp_avg_sq.<name>".
  StateDict state() const;
  /// Restores moments written by state() after `steps` updates; InputError naming `source` when
  /// a tensor is missing or has another shape.
  void load_state(const StateDict& state, int64_t steps, const std::string& source);

  /// Whether `name` gets weight decay.
  static bool decays(const std::string& name);

 private:
  std::vector<std::pair<std::string, torch::Tensor>> named_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  std::vector<bool> decay_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

/// Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_: scales every gradient by
/// max_norm / (norm + 1e-6) when that is below 1. Returns the norm before clipping.
double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace bertology
