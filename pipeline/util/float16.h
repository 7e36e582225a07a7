// Float16 storage of values that are float16 already (read from a float16 cache as float): a
// held copy keeps their bits, exactly, in half the memory of float32; and the exact widening back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace bertology {

/// The IEEE binary16 bits of `f` when `f` is exactly a float16 value (normal, subnormal, zero,
/// infinity, NaN); false when it is not (then `bits` is unspecified): nothing is rounded.
inline bool exact_float16_bits(float f, uint16_t& bits) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exponent = (x >> 23) & 0xffu, mantissa = x & 0x7fffffu;
  if (exponent == 0xffu) {  // infinity, NaN (keeps a quiet NaN quiet)
    bits = static_cast<uint16_t>(sign | 0x7c00u | (mantissa != 0 ? 0x200u | (mantissa >> 13) : 0u));
    return true;
  }
  if (exponent == 0) {  // ±0; float32 subnormals are below float16's range
    bits = sign;
    return mantissa == 0;
  }
  const int e = static_cast<int>(exponent) - 127;
  if (e > 15 || e < -24) return false;
  if (e >= -14) {  // normal: 10 mantissa bits, the other 13 must be zero
    bits = static_cast<uint16_t>(sign | static_cast<uint32_t>(e + 15) << 10 | mantissa >> 13);
    return (mantissa & 0x1fffu) == 0;
  }
  // subnormal: value = m × 2^-24 with m = 1.mantissa × 2^(e + 24)
  const uint32_t full = 0x800000u | mantissa;
  const int shift = -1 - e;  // 14 .. 23
  bits = static_cast<uint16_t>(sign | (full >> shift));
  return (full & ((1u << shift) - 1u)) == 0;
}

/// IEEE binary16 bit pattern -> float (exact: every half is a float).
inline float widen_float16_bits(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {        // subnormal: normalize
    uint32_t e = 113;
    while (!(mant & 0x400u)) mant <<= 1, --e;
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// All 65536 halves widened once (256 KiB): attention maps are full of subnormal halves, whose
/// normalising loop made the per-element conversion the bottleneck of reading a cache.
inline const float* float16_widening_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = widen_float16_bits(static_cast<uint16_t>(h));
    return t;
  }();
  return table.data();
}

/// Widens n binary16 bit patterns to float32, exactly (every bit of widen_float16_bits, NaN payloads
/// included): eight at a time with the CPU's F16C instructions where it has them (x86-64 since
/// 2012; 5.6x the table's rate on 8 Ki values in cache, 1.2x on 16 Mi values, where memory bounds
/// both: Intel Xeon, 2026-12-06), else through float16_widening_table().
void widen_float16(const uint16_t* in, size_t n, float* out);

}  // namespace bertology
