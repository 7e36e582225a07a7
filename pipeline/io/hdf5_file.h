// Small RAII layer over the HDF5 C API: files, groups, datasets of numbers, string attributes.
//
// fp16 is stored as a custom IEEE binary16 type that h5py reads as numpy float16. HDF5 1.10 has
// no native half type and its float->half converter is wrong for some values, so callers convert
// (with LibTorch) and hand raw 16-bit patterns; memory type == file type, no HDF5 conversion runs.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bertology {

/// Element type of a stored dataset.
enum class H5Kind { F32, F16, I32, I64 };

/// Owns one hid_t and closes it with the right H5*close.
class H5Handle {
 public:
  H5Handle() = default;
  H5Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  H5Handle(H5Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  H5Handle& operator=(H5Handle&& o) noexcept;
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle();
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  /// Gives up ownership (the caller closes).
  hid_t release() { hid_t id = id_; id_ = -1; return id; }

 private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

/// The HDF5 type for an H5Kind (F16: the custom binary16 type, built once).
hid_t h5_type(H5Kind kind);

/// Dataset creation choices.
struct H5DatasetOptions {
  std::vector<hsize_t> chunk;   ///< chunk dims (empty = contiguous)
  int deflate_level = 0;        ///< gzip level 0-9 with shuffle; 0 = no filter
  bool checksum = false;        ///< Fletcher-32 per HDF5 chunk: corrupt chunks fail on read (needs `chunk`)
};

/// A writable or readable HDF5 file. Errors throw InternalError naming the file and object.
class H5File {
 public:
  /// Creates (truncating) `path` for writing. Objects carry no timestamps, so the same writes in
  /// the same order give byte-identical files (the cache relies on it).
  static H5File create(const std::string& path);
  /// Opens an existing file read-only.
  static H5File open_read(const std::string& path);

  /// Creates group `name` (intermediate groups included).
  void create_group(const std::string& name);
  /// Creates a dataset of `dims` to be filled later with write_rows().
  void create(const std::string& name, H5Kind kind, const std::vector<hsize_t>& dims,
              const H5DatasetOptions& options = {});
  /// Writes rows [first_row, first_row + rows) of dataset `name` (any rank; rows along dim 0)
  /// from `data` (row-major, element type `kind`, rows x the other dims).
  void write_rows(const std::string& name, H5Kind kind, hsize_t first_row, hsize_t rows, const void* data);
  /// Reads rows [first_row, first_row + rows) as float32.
  std::vector<float> read_rows_f32(const std::string& name, hsize_t first_row, hsize_t rows) const;
  /// Reads rows [first_row, first_row + rows) (any rank; rows along dim 0) as float32 into `out`
  /// (rows x the other dims, row-major): the same values as read_rows_f32(), but fp16 datasets are
  /// read as raw binary16 and widened here (exact; HDF5's soft conversion of the custom half type
  /// costs ~50 ns per element, ~40x more). With keep_open_cache_bytes > 0 the dataset stays open
  /// (until close() or destruction) with an HDF5 chunk cache of that size, so consecutive small
  /// reads within one HDF5 chunk read, checksum and decode it once (memory: up to that many bytes
  /// per dataset kept open).
  void read_rows_f32_into(const std::string& name, hsize_t first_row, hsize_t rows, float* out,
                          size_t keep_open_cache_bytes = 0) const;
  /// For a float16 dataset: reads rows [first_row, first_row + rows) as raw binary16 bits in
  /// native byte order into `out` and returns true (widen them with half_bits_to_float). Returns
  /// false, reading nothing, for a dataset of another type. keep_open_cache_bytes as above.
  bool read_rows_half_bits_into(const std::string& name, hsize_t first_row, hsize_t rows, uint16_t* out,
                                size_t keep_open_cache_bytes = 0) const;
  /// Widens n binary16 bit patterns to float32, exactly (widen_float16: F16C where the CPU has it,
  /// else a 64 Ki-entry table; attention maps are full of subnormal halves, which a branchy
  /// conversion handles slowly).
  static void half_bits_to_float(const uint16_t* in, size_t n, float* out);
  /// Writes a dataset of `dims` from `data` (row-major, element type `kind`).
  void write(const std::string& name, H5Kind kind, const std::vector<hsize_t>& dims, const void* data,
             const H5DatasetOptions& options = {});
  /// Sets a string attribute on object `object` ("/" for the file).
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  /// Sets an int64 attribute.
  void set_attribute(const std::string& object, const std::string& name, int64_t value);
  /// Reads a string attribute.
  std::string string_attribute(const std::string& object, const std::string& name) const;
  /// Dimensions of a dataset.
  std::vector<hsize_t> dims(const std::string& name) const;
  /// Reads a whole dataset as float32 (widening from f16 is exact).
  /// `expected` >= 0: the number of values the caller knows the dataset holds (from another
  /// record); a dataset of another size is an InputError before anything is allocated, so a
  /// corrupt extent (2^40 values) is an error, not an allocation. -1: any size.
  std::vector<float> read_f32(const std::string& name, int64_t expected = -1) const;
  /// Reads a whole integer dataset as int64 (`expected` as for read_f32).
  std::vector<int64_t> read_i64(const std::string& name, int64_t expected = -1) const;
  /// Reads a whole integer dataset as int32 (HDF5 converts other integer types, clipping;
  /// `expected` as for read_f32).
  std::vector<int32_t> read_i32(const std::string& name, int64_t expected = -1) const;
  /// True when `name` is a dataset of this file (each group on its path must exist).
  bool has_dataset(const std::string& name) const;
  /// Flushes and closes; errors surface here rather than in a destructor.
  void close();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  H5Handle file_;
  std::map<std::string, H5Handle> open_datasets_;  ///< kept open by write_rows; destroyed before file_
  struct RowRead;
  RowRead select_rows(const std::string& name, hsize_t first_row, hsize_t rows, size_t keep_open_cache_bytes) const;
  mutable std::vector<uint16_t> half_buffer_;  ///< raw binary16 of the last read_rows_f32_into
  mutable std::map<std::string, H5Handle> read_datasets_;  ///< kept open by read_rows_f32_into; destroyed before file_
};

}  // namespace bertology
