// A minimal zip reader: the central directory and STORED records. See zip_reader.h.
#include "pipeline/io/zip_reader.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "pipeline/io/little_endian.h"
#include "pipeline/util/error.h"

namespace bertology {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;

}  // namespace

ZipArchive::ZipArchive(InputFile& file, const std::string& path, ZipExpectation expectation)
    : file_(file), path_(path), expectation_(std::move(expectation)) {
  read_directory();
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

uint64_t ZipArchive::data_offset(const std::string& name, const ZipEntry& e) {
  BTL_REQUIRE(e.method == 0, path_, ": zip record '", name, "' is compressed (method ", e.method,
              "); ",
              expectation_.stored_note.empty() ? "only stored (uncompressed) records can be read"
                                               : expectation_.stored_note);
  BTL_REQUIRE((e.flags & 1) == 0, path_, ": zip record '", name, "' is encrypted");
  BTL_REQUIRE(e.header_offset <= file_.size() && file_.size() - e.header_offset >= 30, path_,
              ": truncated file: local header of zip record '", name, "' is beyond the end");
  uint8_t h[30];
  file_.read_at(e.header_offset, h, 30);
  BTL_REQUIRE(read_le(h, 4) == kLocalSig, path_, ": corrupt zip: bad local header signature for '",
              name, "'");
  // The local extra field may differ from the central one (torch pads it for alignment).
  const uint64_t start = e.header_offset + 30 + read_le(h + 26, 2) + read_le(h + 28, 2);
  BTL_REQUIRE(start <= file_.size() && file_.size() - start >= e.size, path_,
              ": truncated file: zip record '", name, "' needs bytes up to ", start + e.size,
              " but the file has ", file_.size());
  return start;
}

std::vector<uint8_t> ZipArchive::read(const std::string& name, const ZipEntry& e) {
  return file_.read_vec(data_offset(name, e), e.size);
}

void ZipArchive::read_directory() {
  const uint64_t size = file_.size();
  // The end record is 22 bytes plus a comment of at most 65535 bytes; scan that tail backwards.
  const uint64_t tail_len = std::min<uint64_t>(size, 22 + 65535);
  const uint64_t tail_start = size - tail_len;
  std::vector<uint8_t> tail = file_.read_vec(tail_start, tail_len);
  int64_t end_pos = -1;
  for (int64_t i = static_cast<int64_t>(tail_len) - 22; i >= 0; --i) {
    if (read_le(&tail[i], 4) == kEndSig && i + 22 + read_le(&tail[i + 20], 2) <= tail_len) {
      end_pos = i;
      break;
    }
  }
  if (end_pos < 0) not_a_zip(size);
  const uint8_t* end = &tail[end_pos];
  uint64_t count = read_le(end + 10, 2), cd_size = read_le(end + 12, 4), cd_offset = read_le(end + 16, 4);

  // A ZIP64 locator right before the end record points to the ZIP64 end record, whose 64-bit
  // fields replace the saturated 16/32-bit ones. torch writes it even for small files.
  const uint64_t end_abs = tail_start + end_pos;
  if (end_abs >= 20) {
    uint8_t loc[20];
    file_.read_at(end_abs - 20, loc, 20);
    if (read_le(loc, 4) == kZip64LocatorSig) {
      const uint64_t z_off = read_le(loc + 8, 8);
      BTL_REQUIRE(z_off <= end_abs && end_abs - z_off >= 56, path_,
                  ": corrupt zip: ZIP64 end record offset ", z_off, " is out of range");
      uint8_t z[56];
      file_.read_at(z_off, z, 56);
      BTL_REQUIRE(read_le(z, 4) == kZip64EndSig, path_,
                  ": corrupt zip: bad ZIP64 end-of-central-directory signature");
      count = read_le(z + 32, 8);
      cd_size = read_le(z + 40, 8);
      cd_offset = read_le(z + 48, 8);
    }
  }
  BTL_REQUIRE(cd_offset <= end_abs && end_abs - cd_offset >= cd_size, path_,
              ": truncated or corrupt zip: central directory [", cd_offset, ", +", cd_size,
              ") does not fit before the end record at ", end_abs);

  const std::vector<uint8_t> cd = file_.read_vec(cd_offset, cd_size);
  size_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    BTL_REQUIRE(cd.size() - pos >= 46 && read_le(&cd[pos], 4) == kCentralSig, path_,
                ": corrupt zip: central directory entry ", i, " of ", count, " is malformed");
    const uint8_t* h = &cd[pos];
    const size_t name_len = read_le(h + 28, 2), extra_len = read_le(h + 30, 2), comment_len = read_le(h + 32, 2);
    BTL_REQUIRE(cd.size() - pos - 46 >= name_len + extra_len + comment_len, path_,
                ": corrupt zip: central directory entry ", i, " overruns the directory");
    ZipEntry e;
    e.flags = static_cast<uint16_t>(read_le(h + 8, 2));
    e.method = static_cast<uint16_t>(read_le(h + 10, 2));
    uint64_t compressed = read_le(h + 20, 4), uncompressed = read_le(h + 24, 4);
    e.header_offset = read_le(h + 42, 4);
    std::string name(reinterpret_cast<const char*>(h + 46), name_len);
    read_zip64_extra(h + 46 + name_len, extra_len, name, &uncompressed, &compressed,
                     &e.header_offset);
    // For STORED records the two sizes agree; take the stored byte count.
    e.size = compressed;
    if (e.method == 0) {
      BTL_REQUIRE(compressed == uncompressed, path_, ": corrupt zip: stored record '", name,
                  "' has compressed size ", compressed, " != uncompressed size ", uncompressed);
    }
    entries_[name] = e;
    pos += 46 + name_len + extra_len + comment_len;
  }
}

/// No end-of-central-directory record: let the caller name a format it recognises, then tell a
/// truncated zip (it starts with a local header) from something else.
void ZipArchive::not_a_zip(uint64_t size) {
  if (expectation_.identify_non_zip) expectation_.identify_non_zip(file_);
  uint8_t head[4] = {0, 0, 0, 0};
  if (size >= 4) file_.read_at(0, head, 4);
  BTL_REQUIRE(read_le(head, 4) != kLocalSig, path_,
              ": truncated file: zip archive without its end-of-central-directory record");
  throw InputError(cat(path_, ": not a zip archive (",
                       expectation_.zip_note.empty() ? "" : expectation_.zip_note + "; ",
                       "no end-of-central-directory record found)"));
}

/// Replaces saturated (0xFFFFFFFF) fields by the ZIP64 extra field's values, in APPNOTE order.
void ZipArchive::read_zip64_extra(const uint8_t* extra, size_t len, const std::string& name,
                                  uint64_t* uncompressed, uint64_t* compressed, uint64_t* offset) {
  size_t p = 0;
  while (len - p >= 4) {
    const uint64_t id = read_le(extra + p, 2), n = read_le(extra + p + 2, 2);
    BTL_REQUIRE(len - p - 4 >= n, path_, ": corrupt zip: extra field of '", name, "' overruns");
    if (id == 0x0001) {
      const uint8_t* q = extra + p + 4;
      size_t left = n;
      for (uint64_t* field : {uncompressed, compressed, offset}) {
        if (*field != 0xFFFFFFFFu) continue;
        BTL_REQUIRE(left >= 8, path_, ": corrupt zip: ZIP64 extra field of '", name,
                    "' is too short");
        *field = read_le(q, 8);
        q += 8;
        left -= 8;
      }
    }
    p += 4 + n;
  }
}

}  // namespace bertology
