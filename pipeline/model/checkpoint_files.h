// Finding and reading the weights of a Hugging Face checkpoint folder, torch-free.
#pragma once

#include <string>

#include "pipeline/model/raw_tensor.h"

namespace bertology {

/// DIR/model.safetensors (preferred: safe and fast) or DIR/pytorch_model.bin; InputError
/// "DIR: no weights (expected model.safetensors or pytorch_model.bin)" otherwise.
std::string checkpoint_weights_file(const std::string& dir);

/// The tensors of that file, read with the reader of its format; `file` (optional) gets its path.
StateDict read_checkpoint_weights(const std::string& dir, std::string* file = nullptr);

}  // namespace bertology
