// Clark et al. (2019) §5's "Random Init Attn" control: a copy of a checkpoint that keeps the
// pre-trained embeddings (word, position, segment, their LayerNorm) and re-draws every other
// weight as BERT initialises it: matrices N(0, 0.02), biases 0, LayerNorm gains 1. Torch-free.
#pragma once

#include <cstdint>
#include <string>

namespace bertology {

/// Writes the random-init copy of `model_dir` into `out_dir` (config.json, vocab.txt,
/// tokenizer_config.json copied; task heads (cls.*) dropped; model.safetensors re-drawn from `seed`; deterministic: the same
/// seed gives the same bytes, so the activation cache keys it once). Does nothing when
/// out_dir/model.safetensors exists. Files are written under temporary names, then renamed.
void write_random_init_model(const std::string& model_dir, const std::string& out_dir, uint64_t seed);

}  // namespace bertology
