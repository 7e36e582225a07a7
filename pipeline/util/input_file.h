// A read-only file with 64-bit positions for the checkpoint readers (safetensors, torch zip).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bertology {

class InputFile {
 public:
  /// Opens `path`; InputError "PATH: cannot open <kind> (reason)" or "PATH: not a regular file".
  InputFile(const std::string& path, const std::string& kind);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }

  /// Reads exactly `n` bytes at `offset`. Callers check ranges against size() first, so a failure
  /// here is the environment (I/O error, file shrinking): InternalError.
  void read_at(uint64_t offset, void* dst, size_t n);
  std::vector<uint8_t> read_vec(uint64_t offset, size_t n);

 private:
  std::string path_;
  std::FILE* f_;
  uint64_t size_ = 0;
};

}  // namespace bertology
