#include "pipeline/util/float16.h"

#if defined(__x86_64__)
#include <cpuid.h>
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

/// CPUID leaf 1: F16C (ECX bit 29) and AVX (bit 28), with the OS saving the YMM registers (OSXSAVE,
/// bit 27, and XCR0 bits 1-2). By hand: clang's __builtin_cpu_supports knows no "f16c".
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
    const unsigned needed = (1u << 27) | (1u << 28) | (1u << 29);
    if ((ecx & needed) != needed) return false;
    unsigned xcr0_low = 0, xcr0_high = 0;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    return (xcr0_low & 6u) == 6u;
  }();
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
