#include "pipeline/util/read_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "pipeline/util/error.h"

namespace bertology {

std::string read_file_bytes(const std::string& path, const std::string& what, bool say_what_when_missing) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found)
    throw InputError(say_what_when_missing ? cat(path, ": no such file (", what, ")") : cat(path, ": no such file"));
  if (status.type() == fs::file_type::directory) throw InputError(cat(path, ": is a directory, expected ", what));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  BTL_REQUIRE(f != nullptr, path, ": cannot open (", std::strerror(errno), ")");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  std::string data;
  const auto size = fs::file_size(path, ec);
  if (!ec) data.reserve(size);
  char buffer[1 << 16];
  for (;;) {
    const size_t got = std::fread(buffer, 1, sizeof(buffer), f);
    data.append(buffer, got);
    if (got < sizeof(buffer)) break;
  }
  if (std::ferror(f)) throw InternalError(cat(path, ": read error (", std::strerror(errno), ")"));
  return data;
}

}  // namespace bertology
