// Torch-free tensor records: element sizes, dtype names, element counts.
#include "pipeline/model/raw_tensor.h"

namespace bertology {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16:
      return 2;
    case DType::I8:
    case DType::U8:
    case DType::Bool:  // torch and safetensors both store bool as one byte
      return 1;
  }
  return 0;  // unreachable for valid enum values; keeps -Wreturn-type quiet
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F64: return "F64";
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::Bool: return "BOOL";
  }
  return "?";
}

int64_t RawTensor::numel() const {
  // The empty product is 1: a scalar (shape []) holds one element.
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace bertology
