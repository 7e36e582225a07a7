// Torch-free tensor records as read from checkpoint files (safetensors, torch.save zip).
//
// Checkpoint readers produce a `StateDict`; pipeline/model/checkpoint.cpp turns it into LibTorch
// tensors. Keeping this layer free of LibTorch keeps the readers cheap to compile and test.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bertology {

/// Element types that can appear in a BERT checkpoint.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

/// Size in bytes of one element of `dtype`.
size_t dtype_size(DType dtype);
/// Short name as safetensors spells it: "F32", "BF16", "I64", ...
const char* dtype_name(DType dtype);

/// One tensor: contiguous, row-major, little-endian bytes.
struct RawTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  ///< empty for a scalar
  std::vector<uint8_t> data;   ///< size numel() * dtype_size(dtype)

  int64_t numel() const;
};

/// Parameter name (as in the file, e.g. "bert.encoder.layer.0.output.dense.weight") -> tensor.
using StateDict = std::map<std::string, RawTensor>;

}  // namespace bertology
