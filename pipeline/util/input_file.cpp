#include "pipeline/util/input_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "pipeline/util/error.h"

namespace bertology {

InputFile::InputFile(const std::string& path, const std::string& kind)
    : path_(path), f_(std::fopen(path.c_str(), "rb")) {
  BTL_REQUIRE(f_ != nullptr, path, ": cannot open ", kind, " (", std::strerror(errno), ")");
  struct stat st;
  if (::fstat(::fileno(f_), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f_);
    throw InputError(cat(path, ": not a regular file"));
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() { std::fclose(f_); }

void InputFile::read_at(uint64_t offset, void* dst, size_t n) {
  if (n == 0) return;
  if (::fseeko(f_, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(dst, 1, n, f_) != n)
    throw InternalError(cat(path_, ": read of ", n, " bytes at ", offset, " failed (", std::strerror(errno), ")"));
}

std::vector<uint8_t> InputFile::read_vec(uint64_t offset, size_t n) {
  std::vector<uint8_t> v(n);
  read_at(offset, v.data(), n);
  return v;
}

}  // namespace bertology
