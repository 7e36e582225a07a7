// Reading little-endian integers from byte buffers (zip fields, pickle opcodes, file headers).
#pragma once

#include <cstdint>

namespace bertology {

/// The `n`-byte (1..8) little-endian unsigned integer at `p`.
inline uint64_t read_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace bertology
