// Byte counts for people: 1536 -> "1.5 KiB".
#pragma once

#include <cstdio>
#include <string>

namespace bertology {

inline std::string human_bytes(double bytes) {
  const char* unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", bytes, unit[u]);
  return buf;
}

}  // namespace bertology
