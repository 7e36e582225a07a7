// Reduced-precision compute on the CPU: does this CPU and this LibTorch make it fast?
//
// bfloat16 runs fast only where the CPU has bf16 dot-product instructions (AVX512-BF16 on AMD Zen 4
// and Intel Cooper Lake+, AMX-BF16 on Intel Sapphire Rapids+) and the LibTorch uses them (oneDNN);
// elsewhere LibTorch emulates it, several times slower than float32. float16 needs AVX512-FP16 /
// AMX-FP16 (Intel Sapphire Rapids / Granite Rapids) and a LibTorch >= 2. Flags say what the CPU
// has; only a measurement says what this LibTorch does with it, so both are reported.
#pragma once

#include <torch/types.h>

#include <string>

namespace bertology {

/// What /proc/cpuinfo says about reduced-precision support (all false where it cannot be read).
struct CpuPrecisionFlags {
  std::string model_name;     ///< "model name" of the first processor, e.g. "AMD EPYC 9R14"
  bool avx512_bf16 = false;   ///< flag avx512_bf16
  bool amx_bf16 = false;      ///< flag amx_bf16
  bool avx512_fp16 = false;   ///< flag avx512_fp16
  bool amx_fp16 = false;      ///< flag amx_fp16
};

/// Reads the flags of the CPU this process runs on (Linux /proc/cpuinfo).
CpuPrecisionFlags read_cpu_precision_flags();

/// A GEMM rate measured in both dtypes with the threads LibTorch has now.
struct CpuPrecisionCheck {
  CpuPrecisionFlags flags;
  double float32_gflops = 0;  ///< [512x768]·[768x768] fp32, best of 3, GFLOP/s
  double reduced_gflops = 0;  ///< the same product in the reduced dtype, GFLOP/s
  bool slow = false;          ///< reduced_gflops < float32_gflops: the reduced dtype buys no speed here
  std::string summary;        ///< one line for logs, e.g. "bfloat16 381 GFLOP/s vs float32 175 (AVX512-BF16)"
};

/// Measures `dtype` (kBFloat16 or kHalf) against float32 on the CPU (a few milliseconds).
CpuPrecisionCheck check_cpu_precision(torch::ScalarType dtype);

/// Runs check_cpu_precision once per process and prints one warning line to stderr when the
/// reduced dtype is slower than float32 here (it still runs: the numbers are the user's to judge).
/// Returns the check's summary.
std::string warn_if_cpu_precision_slow(torch::ScalarType dtype);

}  // namespace bertology
