#include "pipeline/mcrc/mc_memory.h"

#include "pipeline/util/error.h"

namespace bertology {

int64_t mc_parameter_count(const BertConfig& c) {
  const int64_t d = c.hidden_size, i = c.intermediate_size;
  const int64_t embeddings = (int64_t{c.vocab_size} + c.max_position_embeddings + c.type_vocab_size) * d + 2 * d;
  const int64_t attention = 4 * (d * d + d) + 2 * d;         // Q K V O, LayerNorm
  const int64_t feed_forward = 2 * d * i + i + d + 2 * d;    // up, down, LayerNorm
  const int64_t pooler = d * d + d, classifier = d + 1;
  return embeddings + int64_t{c.num_hidden_layers} * (attention + feed_forward) + pooler + classifier;
}

int64_t mc_layer_activation_bytes(const BertConfig& c, int64_t tokens, int64_t length) {
  return tokens * (76 * int64_t{c.hidden_size} + 12 * int64_t{c.num_attention_heads} * length);
}

int64_t reserve_mc_model(MemoryBudget& budget, const BertConfig& c, bool on_gpu, McBatchQuestions batch,
                      int64_t options, int64_t length) {
  const int64_t p = mc_parameter_count(c);
  if (on_gpu) {
    budget.reserve(8 * p, "host copies of the model while loading and checkpointing (8 B a parameter)");
    return 0;
  }
  const int64_t train_tokens = batch.train * options * length, score_tokens = batch.score * options * length;
  const int64_t train_bytes = (c.num_hidden_layers + 2) * mc_layer_activation_bytes(c, train_tokens, length);
  const int64_t score_bytes = 2 * mc_layer_activation_bytes(c, score_tokens, length);
  if (batch.train > 0)
    budget.reserve(24 * p, "the model in training (weights, gradients, AdamW moments, all-reduce and checkpoint "
                           "copies: 24 B a parameter)");
  else
    budget.reserve(8 * p, "the model (weights and the checkpoint as read: 8 B a parameter)");
  if (train_bytes >= score_bytes) {
    budget.reserve(train_bytes, cat("a micro-batch's activations ((L + 2) × ", batch.train, " × ", options, " × ",
                                    length, " tokens × (76 d + 12 H ℓ) B)"));
    return train_bytes;
  }
  budget.reserve(score_bytes, cat("a scoring batch's activations (2 × ", batch.score, " × ", options, " × ",
                                    length, " tokens × (76 d + 12 H ℓ) B)"));
  return score_bytes;
}

}  // namespace bertology
