// What a multiple-choice fine-tuning run is asked to do (mc_trainer.h runs it). Torch-free, so
// that the `mcrc` config section (mcrc_section.h) binds its rows to these fields directly.
#pragma once

#include <cstdint>
#include <string>

namespace bertology {

/// The in-class values are the trainer's own defaults for code that builds options by hand; a run
/// takes them from the `mcrc` section's rows (mcrc_section().of(params).training).
struct McTrainOptions {
  int epochs = 3;
  int64_t batch_size = 16;        ///< questions per optimiser step, over all ranks
  int64_t micro_batch = 4;        ///< questions per forward/backward on one rank
  double lr = 5e-5;               ///< peak learning rate
  double warmup = 0.1;            ///< fraction of the steps with linear warm-up
  double weight_decay = 0.01;     ///< AdamW decoupled decay (not on biases / LayerNorm weights)
  double adam_eps = 1e-8;
  double max_grad_norm = 1.0;     ///< global-norm clipping; <= 0 = none
  uint64_t seed = 1234;           ///< data order and dropout
  int64_t checkpoint_every = 0;   ///< also checkpoint every N steps (0 = epoch ends only)
  int64_t eval_batch = 8;         ///< questions per evaluation forward
  int64_t stop_after_steps = -1;  ///< checkpoint and stop (StopRequested) once N steps are done (time boxes, tests)
  /// After a step, give freed heap back to the kernel when the resident set exceeds this many bytes
  /// (0 = never). The heap kept for reuse (heap_policy.h) grows by the step's fragments, ~1.5 GiB
  /// over 70 steps of MiniLM at ℓ 256; the stage sets this from runtime.memory_gb.
  int64_t resident_limit_bytes = 0;
  /// Forward compute type: "float32", or "bfloat16"/"float16" = mixed precision (autocast; the model,
  /// its gradients and the optimiser state stay float32: load the model in float32).
  std::string compute_dtype = "float32";
};

}  // namespace bertology
