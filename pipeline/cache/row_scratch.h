// A flat copy of one cached dataset's rows in corpus order, in a scratch file, for readers that
// read a few scattered rows many times over (the windows of a shuffled epoch under a memory budget):
// hidden-state rows, or an attention layer's maps (one value a row, read a sequence's range at a time).
//
// Why: a cache chunk stores its rows in batch order inside ~1 MiB HDF5 chunks, so reading any row
// of a chunk file decodes the whole dataset of that file. A window of a shuffled epoch touches
// nearly every chunk, so each window decoded the whole layer: an epoch cost windows × corpus, and
// at a fixed budget four times the corpus cost ~16 times the time (docs/scale.md). From the flat
// copy a window reads just its rows (pread, near rows in one read): an epoch costs its rows.
//
// The file is created in `dir` and unlinked at once: it never shows in the folder, nothing is left
// behind whatever ends the process (kill -9 included), and its blocks are freed when it is closed.
// Values are stored as binary16 when every value written is a float16 value (a float16 cache),
// else as float32: reads return exactly what was written. Memory: none beyond the caller's buffers
// (reads go through the page cache, which is not the process's resident memory).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bertology {

class RowScratch {
 public:
  /// An empty scratch file in `dir` for `rows` rows of `row_elements` floats, binary16 when `half`.
  /// Null (with `why` set) when `dir` cannot hold it: not a writable folder, or fewer free bytes
  /// than the copy plus 1 GiB of headroom. Never throws for those: the caller reads the slow way.
  static std::unique_ptr<RowScratch> create(const std::string& dir, int64_t rows, int64_t row_elements, bool half,
                                            std::string* why);
  ~RowScratch();
  RowScratch(const RowScratch&) = delete;
  RowScratch& operator=(const RowScratch&) = delete;

  /// Appends `rows` rows [rows, row_elements] in order. With `half`, each value must be a float16
  /// value (InternalError otherwise: the caller promised an exact copy).
  void append(const float* values, int64_t rows);
  /// Appends `rows` rows of binary16 bit patterns [rows, row_elements] as they are (a half file only:
  /// InternalError otherwise). What a float16 cache stores, copied without widening and narrowing.
  void append_half_bits(const uint16_t* bits, int64_t rows);
  /// True once every row was appended.
  bool complete() const { return written_ == rows_; }

  /// Rows `ids` (ascending, repeats allowed, each < rows) into `out` = [ids.size(), row_elements]:
  /// one pread per span of rows whose gaps are under 8 KiB (the gap rows are read and dropped), at
  /// most 1 MiB each.
  void read(const std::vector<int64_t>& ids, float* out) const;
  /// The same, row ids[k] into out + at[k] (row_elements floats).
  void read(const std::vector<int64_t>& ids, const std::vector<int64_t>& at, float* out) const;
  /// Rows [first, first + rows) into `out` = [rows, row_elements], in one pread (a sequence's
  /// attention maps in a file of one value a row).
  void read_range(int64_t first, int64_t rows, float* out) const;

  int64_t bytes() const { return rows_ * row_bytes_; }  ///< size of the file once complete

 private:
  RowScratch(int fd, int64_t rows, int64_t row_elements, bool half);
  void write_rows(const char* data, int64_t rows);  ///< `rows` rows of row_bytes_ each, at the end
  void pread_exact(void* buffer, int64_t bytes, int64_t offset) const;

  int fd_ = -1;
  int64_t rows_ = 0, row_elements_ = 0, row_bytes_ = 0, written_ = 0;
  bool half_ = false;
};

}  // namespace bertology
