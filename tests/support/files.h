// Reading a whole file in tests (fixtures, outputs of the binary).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace bertology::test {

/// The bytes of `path` ("" when it cannot be opened).
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace bertology::test
