// Reading the records of a zip archive whose records are STORED (uncompressed), as torch.save
// writes them: the central directory (with ZIP64 end records and extra fields) and the bytes of
// stored records. No decompression, no CRC check, no writing.
//
// Format: PKWARE APPNOTE 6.3: 4.3.7 local header, 4.3.12 central directory, 4.3.14-16 ZIP64 and
// end-of-central-directory records, 4.5.3 ZIP64 extra field.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/util/input_file.h"

namespace bertology {

/// One central directory record.
struct ZipEntry {
  uint64_t header_offset = 0;  ///< of the local file header
  uint64_t size = 0;           ///< uncompressed == compressed for STORED
  uint16_t method = 0;
  uint16_t flags = 0;
};

/// What the caller expected the archive to be, so that a user who passed the wrong file learns
/// which format was expected. Every field is optional; the defaults give generic messages.
struct ZipExpectation {
  /// Called with the file when it has no end-of-central-directory record, before the generic
  /// errors; may throw an InputError naming the format the file has instead (e.g. a legacy
  /// format of the same producer).
  std::function<void(InputFile&)> identify_non_zip;
  /// Opens the parenthesis of "PATH: not a zip archive (NOTE; no end-of-central-directory record
  /// found)", e.g. "torch.save >= 1.6 writes zip archives".
  std::string zip_note;
  /// Ends "PATH: zip record 'NAME' is compressed (method M); NOTE", e.g. why the producer's
  /// archives are never compressed. Default: "only stored (uncompressed) records can be read".
  std::string stored_note;
};

/// The central directory of a zip archive read from `file`, and its stored records.
///
/// Errors (InputError naming `path`): no end-of-central-directory record ("not a zip archive",
/// or "truncated file" when the file starts like a zip), central directory, ZIP64 end record or
/// extra field out of range or malformed ("corrupt zip: ..."), a stored record whose compressed
/// and uncompressed sizes differ; on read(): a compressed or encrypted record, a local header or
/// record bytes beyond the end of the file ("truncated file: ..."). InternalError: I/O errors.
class ZipArchive {
 public:
  /// Reads the central directory; `file` must outlive the archive.
  ZipArchive(InputFile& file, const std::string& path, ZipExpectation expectation = {});

  /// The record named `name` (full path inside the archive), or null.
  const ZipEntry* find(const std::string& name) const;
  /// Every record, by name.
  const std::map<std::string, ZipEntry>& entries() const { return entries_; }

  /// File offset of the entry's bytes, after checking it is stored, unencrypted and complete.
  uint64_t data_offset(const std::string& name, const ZipEntry& e);
  /// The bytes of the stored record `e` (named `name`, for messages).
  std::vector<uint8_t> read(const std::string& name, const ZipEntry& e);

 private:
  void read_directory();
  [[noreturn]] void not_a_zip(uint64_t size);
  void read_zip64_extra(const uint8_t* extra, size_t len, const std::string& name,
                        uint64_t* uncompressed, uint64_t* compressed, uint64_t* offset);

  InputFile& file_;
  std::string path_;
  ZipExpectation expectation_;
  std::map<std::string, ZipEntry> entries_;
};

}  // namespace bertology
