#include "pipeline/cache/row_scratch.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pipeline/util/error.h"
#include "pipeline/util/float16.h"

namespace bertology {
namespace {

constexpr int64_t kHeadroomBytes = int64_t{1} << 30;  ///< free space left to everything else
constexpr int64_t kReadPieceBytes = int64_t{1} << 20;  ///< largest single pread
constexpr int64_t kCoalesceGapBytes = 8192;  ///< unwanted bytes a read may span to save a pread

}  // namespace

std::unique_ptr<RowScratch> RowScratch::create(const std::string& dir, int64_t rows, int64_t row_elements, bool half,
                                               std::string* why) {
  BTL_CHECK(rows >= 0 && row_elements > 0);
  const int64_t bytes = rows * row_elements * (half ? 2 : 4);
  struct statvfs fs_info {};
  if (dir.empty() || ::statvfs(dir.c_str(), &fs_info) != 0) {
    *why = cat(dir, ": not a folder (", std::strerror(errno), ")");
    return nullptr;
  }
  const auto free_bytes = static_cast<int64_t>(fs_info.f_bavail) * static_cast<int64_t>(fs_info.f_frsize);
  if (free_bytes < bytes + kHeadroomBytes) {
    *why = cat(dir, ": ", free_bytes >> 20, " MiB free, a copy of ", bytes >> 20, " MiB needs 1 GiB more");
    return nullptr;
  }
  // O_TMPFILE: a file without a name from the start; else a named one unlinked at once.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string name = (std::filesystem::path(dir) / "bertology-rows-XXXXXX").string();
    fd = ::mkstemp(name.data());
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) {
    *why = cat(dir, ": cannot create a scratch file (", std::strerror(errno), ")");
    return nullptr;
  }
  return std::unique_ptr<RowScratch>(new RowScratch(fd, rows, row_elements, half));
}

RowScratch::RowScratch(int fd, int64_t rows, int64_t row_elements, bool half)
    : fd_(fd), rows_(rows), row_elements_(row_elements), row_bytes_(row_elements * (half ? 2 : 4)), half_(half) {}

RowScratch::~RowScratch() {
  if (fd_ >= 0) ::close(fd_);
}

void RowScratch::append(const float* values, int64_t rows) {
  if (!half_) return write_rows(reinterpret_cast<const char*>(values), rows);
  const int64_t n = rows * row_elements_;
  std::vector<uint16_t> halves(static_cast<size_t>(std::max<int64_t>(0, n)));
  for (int64_t i = 0; i < n; ++i)
    BTL_CHECK(exact_float16_bits(values[i], halves[static_cast<size_t>(i)]), "RowScratch: value ", values[i],
              " is not a float16 value");
  write_rows(reinterpret_cast<const char*>(halves.data()), rows);
}

void RowScratch::append_half_bits(const uint16_t* bits, int64_t rows) {
  BTL_CHECK(half_, "RowScratch: binary16 rows appended to a float32 scratch file");
  write_rows(reinterpret_cast<const char*>(bits), rows);
}

void RowScratch::write_rows(const char* data, int64_t rows) {
  BTL_CHECK(rows >= 0 && written_ + rows <= rows_, "RowScratch: ", written_, " + ", rows, " rows of ", rows_);
  int64_t left = rows * row_bytes_, offset = written_ * row_bytes_;
  while (left > 0) {
    const ssize_t w = ::pwrite(fd_, data, static_cast<size_t>(std::min(left, kReadPieceBytes)), offset);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw InternalError(cat("row scratch file: write failed (", std::strerror(errno), ")"));
    data += w, left -= w, offset += w;
  }
  written_ += rows;
}

void RowScratch::pread_exact(void* buffer, int64_t bytes, int64_t offset) const {
  char* at = static_cast<char*>(buffer);
  while (bytes > 0) {
    const ssize_t r = ::pread(fd_, at, static_cast<size_t>(bytes), offset);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw InternalError(cat("row scratch file: read failed (", r < 0 ? std::strerror(errno) : "end of file", ")"));
    at += r, bytes -= r, offset += r;
  }
}

void RowScratch::read(const std::vector<int64_t>& ids, float* out) const {
  std::vector<int64_t> at(ids.size());
  for (size_t k = 0; k < ids.size(); ++k) at[k] = static_cast<int64_t>(k) * row_elements_;
  read(ids, at, out);
}

void RowScratch::read(const std::vector<int64_t>& ids, const std::vector<int64_t>& at, float* out) const {
  BTL_CHECK(complete(), "RowScratch: read before every row was written");
  BTL_CHECK(at.size() == ids.size(), "RowScratch: ", ids.size(), " rows but ", at.size(), " places");
  // One pread per span of rows whose gaps are at most `max_gap` rows (a syscall costs about as much
  // as copying a page: a window sampling a tenth of the rows would otherwise pay one per row), at
  // most kReadPieceBytes long; the rows in the gaps are read and dropped.
  const int64_t max_span = std::max<int64_t>(1, kReadPieceBytes / row_bytes_);
  const int64_t max_gap = std::max<int64_t>(0, kCoalesceGapBytes / row_bytes_);
  // One buffer for every span, not zeroed (pread fills what is used).
  const std::unique_ptr<char[]> span_bytes(new char[static_cast<size_t>(std::min(max_span, rows_) * row_bytes_)]);
  for (size_t k = 0; k < ids.size();) {
    size_t e = k + 1;  // [k, e): rows ids[k] .. ids[e - 1], within max_span rows
    while (e < ids.size() && ids[e] >= ids[e - 1] && ids[e] - ids[e - 1] - 1 <= max_gap && ids[e] - ids[k] < max_span) ++e;
    BTL_CHECK(ids[k] >= 0 && ids[e - 1] < rows_ && (k == 0 || ids[k] >= ids[k - 1]), "RowScratch: rows must ascend");
    const int64_t first = ids[k], span = ids[e - 1] - first + 1;
    pread_exact(span_bytes.get(), span * row_bytes_, first * row_bytes_);
    for (size_t i = k; i < e; ++i) {
      float* dest = out + at[i];
      const char* src = span_bytes.get() + (ids[i] - first) * row_bytes_;
      if (half_)
        widen_float16(reinterpret_cast<const uint16_t*>(src), static_cast<size_t>(row_elements_), dest);
      else
        std::memcpy(dest, src, static_cast<size_t>(row_bytes_));
    }
    k = e;
  }
}

void RowScratch::read_range(int64_t first, int64_t rows, float* out) const {
  BTL_CHECK(complete(), "RowScratch: read before every row was written");
  BTL_CHECK(first >= 0 && rows >= 0 && first + rows <= rows_, "RowScratch: rows [", first, ", ", first + rows,
            ") of ", rows_);
  if (!half_) return pread_exact(out, rows * row_bytes_, first * row_bytes_);
  const int64_t n = rows * row_elements_;
  const std::unique_ptr<uint16_t[]> bits(new uint16_t[static_cast<size_t>(n)]);
  pread_exact(bits.get(), rows * row_bytes_, first * row_bytes_);
  widen_float16(bits.get(), static_cast<size_t>(n), out);
}

}  // namespace bertology
