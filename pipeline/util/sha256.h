// SHA-256 (FIPS 180-4) for checkpoint and artifact fingerprints.
//
// Used to record which exact checkpoint/corpus a result came from, so speed matters less than
// having no dependency: this portable implementation (~340 MB/s) hashes a BERT-base checkpoint
// (440 MB) in under two seconds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace bertology {

/// Incremental SHA-256: feed bytes with update(), then take the digest with final().
///
///   Sha256 h;
///   h.update(a, na);
///   h.update(b, nb);
///   std::string hex = h.final_hex();  // == sha256_hex of a followed by b
class Sha256 {
 public:
  Sha256() { reset(); }

  /// Starts a new message, discarding anything fed so far.
  void reset();

  /// Appends `n` bytes to the message.
  void update(const void* data, size_t n);

  /// Finishes the message and returns its 32-byte digest; the object is then reset, ready for
  /// the next message.
  std::array<uint8_t, 32> final();

  /// final() as 64 lowercase hex digits, as sha256sum prints it.
  std::string final_hex();

 private:
  void compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];       ///< pending bytes of an incomplete block
  size_t buffered_ = 0;      ///< number of valid bytes in buffer_
  uint64_t total_bytes_ = 0; ///< message length so far, for the final length field
};

/// SHA-256 of `n` bytes at `data`, as 64 lowercase hex digits.
std::string sha256_hex(const void* data, size_t n);

/// SHA-256 of the contents of the file at `path`, streamed through a 1 MiB buffer.
/// @throws InputError naming `path` when it cannot be opened; InternalError on a read error.
std::string sha256_file(const std::string& path);

}  // namespace bertology
