#include "pipeline/util/float16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace bertology {
namespace {

#if defined(__x86_64__)
/// Widens in[0 .. n) eight at a time with F16C (vcvtph2ps: exact, subnormals included), the
/// table for a group of eight that holds a NaN (vcvtph2ps would quiet a signalling NaN; the table
/// keeps every bit). Returns how many it widened (n rounded down to eight).
__attribute__((target("avx,f16c"))) size_t widen_f16c(const uint16_t* in, size_t n, float* out, const float* table) {
  const __m128i magnitude = _mm_set1_epi16(0x7fff), infinity = _mm_set1_epi16(0x7c00);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    // |h| > infinity as signed 16-bit (|h| <= 0x7fff is never negative): a NaN.
    if (_mm_movemask_epi8(_mm_cmpgt_epi16(_mm_and_si128(h, magnitude), infinity)) != 0) {
      for (size_t k = i; k < i + 8; ++k) out[k] = table[in[k]];
      continue;
    }
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  return i;
}

bool cpu_has_f16c() {
  static const bool has = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  return has;
}
#endif

}  // namespace

void widen_float16(const uint16_t* in, size_t n, float* out) {
  const float* table = float16_widening_table();
  size_t done = 0;
#if defined(__x86_64__)
  if (cpu_has_f16c()) done = widen_f16c(in, n, out, table);
#endif
  for (size_t i = done; i < n; ++i) out[i] = table[in[i]];
}

}  // namespace bertology
