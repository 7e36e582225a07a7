// What a multiple-choice stage (mcrc_finetune, mcrc_attacks) needs in memory besides the features
// it may hold, reserved in its MemoryBudget (memory_budget.h) before it loads anything. Formulas,
// with P parameters, d = hidden_size, H heads, L layers, T = questions × C options × ℓ tokens of a
// batch (docs/scale.md):
//   training on the CPU: 24 B·P (fp32 weights, gradients, two AdamW moments, the all-reduce's flat
//     gradient, the checkpoint's copy of the moments) + the micro-batch's autograd activations,
//     (L + 2)·T·(76 d + 12 H ℓ) B: per layer and token the saved inputs of the projections, Q K V,
//     the context, the feed-forward's 4d twice and the LayerNorm inputs (19 d floats), the
//     attention probabilities, their dropout noise (float on the CPU) and the dropped
//     probabilities (3 H ℓ floats); one more layer for the backward's buffers and the embeddings;
//   scoring on the CPU: 8 B·P (weights, and the checkpoint as read) + 2·T·(76 d + 12 H ℓ) B;
//   on a GPU the weights and activations live in device memory; the host keeps 8 B·P while loading
//     and checkpointing.
// Measured with all-MiniLM-L6-v2 (d 384, H 12, L 6) on 2 threads, micro-batch = eval batch: peaks
// 1.0 / 1.4 / 2.0 GiB at 1 / 2 / 4 questions of 4 × 256 tokens and 1.2 GiB at 4 × 4 × 128 (6 steps);
// the formula gives 1.2 / 1.7 / 2.7 and 1.4 GiB with the process (~150 MiB). Over many steps the heap
// kept for reuse grows by the steps' fragments (3.8 GiB after 70 steps at ℓ 256): the trainer gives
// it back when the resident set leaves less than a step's activations (resident_limit_bytes).
// Torch-free.
#pragma once

#include <cstdint>

#include "pipeline/model/bert_config.h"
#include "pipeline/stage/memory_budget.h"

namespace bertology {

/// P: the parameters of BertForMultipleChoice with `config` (embeddings, layers, pooler, classifier).
int64_t mc_parameter_count(const BertConfig& config);

/// Bytes of the activations one layer keeps for backward over `tokens` tokens in rows of `length`.
int64_t mc_layer_activation_bytes(const BertConfig& config, int64_t tokens, int64_t length);

/// Questions per forward of a multiple-choice stage.
struct McBatchQuestions {
  int64_t train = 0;  ///< a training micro-batch (0: the stage does not train)
  int64_t score = 0;  ///< a scoring batch
};

/// Reserves the model and its largest batch in `budget`; `options` = C, `length` = ℓ (max_length);
/// `on_gpu`: the model runs on a CUDA device. Returns the bytes reserved for the batch (0 on a GPU).
int64_t reserve_mc_model(MemoryBudget& budget, const BertConfig& config, bool on_gpu, McBatchQuestions batch,
                      int64_t options, int64_t length);

}  // namespace bertology
