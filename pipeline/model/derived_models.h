// Checkpoints derived from a model for control experiments, written as ordinary checkpoint
// folders so that the activation cache keys them by their weights like any model. Torch-free.
//  - Clark et al. (2019) §5's "Random Init Attn" control: the pre-trained embeddings (word,
//    position, segment, their LayerNorm) kept, every other weight re-drawn as BERT initialises
//    it: matrices N(0, 0.02), biases 0, LayerNorm gains 1.
//  - Lin et al. (2019)'s N-th-token control: the model with its position embeddings set to zero.
#pragma once

#include <cstdint>
#include <string>

namespace bertology {

/// Writes the random-init copy of `model_dir` into `out_dir` (config.json, vocab.txt,
/// tokenizer_config.json copied; task heads (cls.*) dropped; model.safetensors re-drawn from `seed`; deterministic: the same
/// seed gives the same bytes, so the activation cache keys it once). Does nothing when
/// out_dir/model.safetensors exists. Files are written under temporary names, then renamed.
void write_random_init_model(const std::string& model_dir, const std::string& out_dir, uint64_t seed);

/// Writes a copy of `model_dir` into `out_dir` whose embeddings.position_embeddings.weight is all
/// zeros (every other tensor and file as is). Does nothing when out_dir/model.safetensors exists.
void write_model_without_positions(const std::string& model_dir, const std::string& out_dir);

/// A folder under `cache_dir`/models/ for a model derived from `model_dir` by `how` (e.g.
/// "random-init seed 1234"): named by the digest of the original weights and `how`, so studies
/// share it and a changed model gets a new one.
std::string derived_model_dir(const std::string& cache_dir, const std::string& model_dir, const std::string& how);

}  // namespace bertology
