#include "pipeline/io/hdf5_file.h"

#include <algorithm>
#include <cstring>

#include "pipeline/util/error.h"
#include "pipeline/util/float16.h"

namespace bertology {
namespace {

/// Fails with the file and object named; HDF5's own error stack is silenced (see constructor).
void h5_check(bool ok, const std::string& path, const std::string& what) {
  if (!ok) throw InternalError(cat(path, ": HDF5 error: ", what));
}

hid_t make_f16_type() {
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);  // sign bit, exponent pos/size, mantissa pos/size
  H5Tset_precision(t, 16);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return t;
}

/// HDF5 prints its error stack to stderr by default; we report our own one line instead. Called
/// before every open/create because library initialisation can restore the default printer.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace

H5Handle& H5Handle::operator=(H5Handle&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

H5Handle::~H5Handle() {
  if (id_ >= 0 && closer_) closer_(id_);
}

hid_t h5_type(H5Kind kind) {
  static const hid_t f16 = make_f16_type();
  switch (kind) {
    case H5Kind::F32: return H5T_IEEE_F32LE;
    case H5Kind::F16: return f16;
    case H5Kind::I32: return H5T_STD_I32LE;
    case H5Kind::I64: return H5T_STD_I64LE;
  }
  return H5T_IEEE_F32LE;
}

H5File H5File::create(const std::string& path) {
  silence_hdf5();
  H5File f;
  f.path_ = path;
  H5Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl.get(), 0);  // root group without timestamps
  f.file_ = H5Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
  h5_check(bool(f.file_), path, "cannot create file");
  return f;
}

H5File H5File::open_read(const std::string& path) {
  silence_hdf5();
  H5File f;
  f.path_ = path;
  f.file_ = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  BTL_REQUIRE(bool(f.file_), path, ": cannot open as HDF5 (missing or corrupt)");
  return f;
}

void H5File::create_group(const std::string& name) {
  H5Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  H5Pset_obj_track_times(gcpl.get(), 0);
  H5Handle g(H5Gcreate2(file_.get(), name.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT), H5Gclose);
  h5_check(bool(g), path_, "cannot create group " + name);
}

void H5File::create(const std::string& name, H5Kind kind, const std::vector<hsize_t>& dims,
                    const H5DatasetOptions& options) {
  H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  h5_check(bool(space), path_, "cannot create dataspace for " + name);
  H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.get(), 0);  // no timestamps: identical writes give identical bytes
  bool empty = false;
  for (auto d : dims) empty |= d == 0;
  if (!options.chunk.empty() && !empty) {
    std::vector<hsize_t> chunk = options.chunk;
    for (size_t i = 0; i < chunk.size() && i < dims.size(); ++i) chunk[i] = std::max<hsize_t>(1, std::min(chunk[i], dims[i]));
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    if (options.deflate_level > 0) {
      H5Pset_shuffle(dcpl.get());
      H5Pset_deflate(dcpl.get(), options.deflate_level);
    }
    if (options.checksum) H5Pset_fletcher32(dcpl.get());
  }
  H5Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Handle ds(H5Dcreate2(file_.get(), name.c_str(), h5_type(kind), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
              H5Dclose);
  h5_check(bool(ds), path_, "cannot create dataset " + name);
}

void H5File::write_rows(const std::string& name, H5Kind kind, hsize_t first_row, hsize_t rows, const void* data) {
  if (rows == 0) return;
  // Datasets stay open between calls: the cache writes one sequence at a time.
  auto it = open_datasets_.find(name);
  if (it == open_datasets_.end()) {
    H5Handle opened(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    h5_check(bool(opened), path_, "no dataset " + name);
    it = open_datasets_.emplace(name, std::move(opened)).first;
  }
  const H5Handle& ds = it->second;
  H5Handle fspace(H5Dget_space(ds.get()), H5Sclose);
  std::vector<hsize_t> dims(H5Sget_simple_extent_ndims(fspace.get()));
  H5Sget_simple_extent_dims(fspace.get(), dims.data(), nullptr);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = first_row;
  count[0] = rows;
  h5_check(first_row + rows <= dims[0], path_, "rows beyond the end of " + name);
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  H5Handle mspace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  // memory type == file type: raw bytes, no conversion
  h5_check(H5Dwrite(ds.get(), h5_type(kind), mspace.get(), fspace.get(), H5P_DEFAULT, data) >= 0, path_,
           "cannot write dataset " + name + " (disk full?)");
}

std::vector<float> H5File::read_rows_f32(const std::string& name, hsize_t first_row, hsize_t rows) const {
  H5Handle ds(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  BTL_REQUIRE(bool(ds), path_, ": no dataset ", name);
  H5Handle fspace(H5Dget_space(ds.get()), H5Sclose);
  std::vector<hsize_t> dims(H5Sget_simple_extent_ndims(fspace.get()));
  H5Sget_simple_extent_dims(fspace.get(), dims.data(), nullptr);
  BTL_REQUIRE(first_row + rows <= dims[0], path_, ": rows beyond the end of ", name);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = first_row;
  count[0] = rows;
  size_t n = 1;
  for (auto c : count) n *= c;
  std::vector<float> out(n);
  if (n == 0) return out;
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  H5Handle mspace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  BTL_REQUIRE(H5Dread(ds.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT, out.data()) >= 0, path_,
              ": cannot read ", name, " (corrupt file: checksum or format error)");
  return out;
}

void H5File::write(const std::string& name, H5Kind kind, const std::vector<hsize_t>& dims, const void* data,
                   const H5DatasetOptions& options) {
  create(name, kind, dims, options);
  bool empty = false;
  for (auto d : dims) empty |= d == 0;
  if (!empty) write_rows(name, kind, 0, dims[0], data);
}

void H5File::set_attribute(const std::string& object, const std::string& name, const std::string& value) {
  H5Handle obj(H5Oopen(file_.get(), object.c_str(), H5P_DEFAULT), H5Oclose);
  h5_check(bool(obj), path_, "no object " + object);
  // Variable-length UTF-8: h5py returns it as `str` (fixed-length strings come back as bytes).
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj.get(), name.c_str()) > 0) H5Adelete(obj.get(), name.c_str());
  H5Handle attr(H5Acreate2(obj.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  h5_check(bool(attr), path_, "cannot create attribute " + name);
  const char* p = value.c_str();
  h5_check(H5Awrite(attr.get(), type.get(), &p) >= 0, path_, "cannot write attribute " + name);
}

void H5File::set_attribute(const std::string& object, const std::string& name, int64_t value) {
  H5Handle obj(H5Oopen(file_.get(), object.c_str(), H5P_DEFAULT), H5Oclose);
  h5_check(bool(obj), path_, "no object " + object);
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj.get(), name.c_str()) > 0) H5Adelete(obj.get(), name.c_str());
  H5Handle attr(H5Acreate2(obj.get(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  h5_check(bool(attr) && H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) >= 0, path_, "cannot write attribute " + name);
}

std::string H5File::string_attribute(const std::string& object, const std::string& name) const {
  H5Handle attr(H5Aopen_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  BTL_REQUIRE(bool(attr), path_, ": no attribute '", name, "' on ", object);
  H5Handle type(H5Aget_type(attr.get()), H5Tclose);
  BTL_REQUIRE(H5Tget_class(type.get()) == H5T_STRING, path_, ": attribute '", name, "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {
    char* p = nullptr;
    h5_check(H5Aread(attr.get(), type.get(), &p) >= 0, path_, "cannot read attribute " + name);
    std::string value = p ? p : "";
    H5free_memory(p);
    return value;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  h5_check(H5Aread(attr.get(), type.get(), value.data()) >= 0, path_, "cannot read attribute " + name);
  while (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

std::vector<hsize_t> H5File::dims(const std::string& name) const {
  H5Handle ds(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  BTL_REQUIRE(bool(ds), path_, ": no dataset ", name);
  H5Handle space(H5Dget_space(ds.get()), H5Sclose);
  std::vector<hsize_t> d(H5Sget_simple_extent_ndims(space.get()));
  H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return d;
}

namespace {

/// Reads the whole dataset `name` of `file` as `native` values into a vector of T, after checking
/// its size (see H5File::read_f32 for `expected`).
template <typename T>
std::vector<T> read_whole(hid_t file, const std::string& path, const std::string& name, hid_t native, int64_t expected) {
  H5Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  BTL_REQUIRE(bool(ds), path, ": no dataset ", name);
  H5Handle space(H5Dget_space(ds.get()), H5Sclose);
  const hssize_t n = bool(space) ? H5Sget_simple_extent_npoints(space.get()) : -1;
  BTL_REQUIRE(n >= 0, path, ": cannot read the extent of ", name, " (corrupt file)");
  BTL_REQUIRE(expected < 0 || n == expected, path, ": ", name, " holds ", n, " values, expected ", expected,
              " (corrupt or mismatched file)");
  std::vector<T> out(static_cast<size_t>(n));
  if (!out.empty())
    BTL_REQUIRE(H5Dread(ds.get(), native, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0, path,
                ": cannot read ", name, " (corrupt file: checksum or format error)");
  return out;
}

}  // namespace

std::vector<float> H5File::read_f32(const std::string& name, int64_t expected) const {
  return read_whole<float>(file_.get(), path_, name, H5T_NATIVE_FLOAT, expected);
}

std::vector<int64_t> H5File::read_i64(const std::string& name, int64_t expected) const {
  return read_whole<int64_t>(file_.get(), path_, name, H5T_NATIVE_INT64, expected);
}

std::vector<int32_t> H5File::read_i32(const std::string& name, int64_t expected) const {
  return read_whole<int32_t>(file_.get(), path_, name, H5T_NATIVE_INT32, expected);
}

bool H5File::has_dataset(const std::string& name) const {
  // H5Lexists needs every intermediate link to exist: walk the path one component at a time.
  if (!file_ || name.empty()) return false;
  size_t pos = name[0] == '/' ? 1 : 0;
  while (true) {
    const size_t slash = name.find('/', pos);
    const std::string prefix = name.substr(0, slash);
    if (H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  H5Handle ds(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);  // fails quietly for groups
  return bool(ds);
}

namespace {



}  // namespace

/// An open row selection of a dataset, ready for H5Dread.
struct H5File::RowRead {
  H5Handle local, fspace, mspace, ftype;
  hid_t ds = -1;
  size_t n = 0;           // elements selected
  bool half = false;      // 2-byte float (our binary16)
  bool swap = false;      // file byte order differs from native
};

H5File::RowRead H5File::select_rows(const std::string& name, hsize_t first_row, hsize_t rows,
                                    size_t keep_open_cache_bytes) const {
  RowRead r;
  if (keep_open_cache_bytes > 0) {
    auto it = read_datasets_.find(name);
    if (it == read_datasets_.end()) {
      H5Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
      H5Pset_chunk_cache(dapl.get(), 521, keep_open_cache_bytes, 1.0);  // HDF5's default slot count
      H5Handle opened(H5Dopen2(file_.get(), name.c_str(), dapl.get()), H5Dclose);
      BTL_REQUIRE(bool(opened), path_, ": no dataset ", name);
      it = read_datasets_.emplace(name, std::move(opened)).first;
    }
    r.ds = it->second.get();
  } else {
    r.local = H5Handle(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    BTL_REQUIRE(bool(r.local), path_, ": no dataset ", name);
    r.ds = r.local.get();
  }
  r.fspace = H5Handle(H5Dget_space(r.ds), H5Sclose);
  std::vector<hsize_t> dims(H5Sget_simple_extent_ndims(r.fspace.get()));
  H5Sget_simple_extent_dims(r.fspace.get(), dims.data(), nullptr);
  BTL_REQUIRE(!dims.empty() && first_row + rows <= dims[0], path_, ": rows beyond the end of ", name);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = first_row;
  count[0] = rows;
  r.ftype = H5Handle(H5Dget_type(r.ds), H5Tclose);
  r.half = H5Tget_class(r.ftype.get()) == H5T_FLOAT && H5Tget_size(r.ftype.get()) == 2;
  r.swap = r.half && H5Tget_order(r.ftype.get()) != H5Tget_order(H5T_NATIVE_USHORT);
  r.n = 1;
  for (auto c : count) r.n *= c;
  if (r.n == 0) return r;
  H5Sselect_hyperslab(r.fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  r.mspace = H5Handle(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  return r;
}

void H5File::read_rows_f32_into(const std::string& name, hsize_t first_row, hsize_t rows, float* out,
                                size_t keep_open_cache_bytes) const {
  RowRead r = select_rows(name, first_row, rows, keep_open_cache_bytes);
  if (r.n == 0) return;
  herr_t status;
  if (r.half) {
    // Memory type == file type: HDF5 copies the raw bit patterns; widening here is exact and far
    // faster than HDF5's soft conversion of a custom float type. The buffer is kept between reads:
    // a fresh one per read cost a page fault per 4 KiB.
    std::vector<uint16_t>& raw = half_buffer_;
    if (raw.size() < r.n) raw.resize(r.n);
    status = H5Dread(r.ds, r.ftype.get(), r.mspace.get(), r.fspace.get(), H5P_DEFAULT, raw.data());
    if (status >= 0) {
      if (r.swap)
        for (size_t i = 0; i < r.n; ++i) raw[i] = static_cast<uint16_t>((raw[i] >> 8) | (raw[i] << 8));
      half_bits_to_float(raw.data(), r.n, out);
    }
  } else {
    status = H5Dread(r.ds, H5T_NATIVE_FLOAT, r.mspace.get(), r.fspace.get(), H5P_DEFAULT, out);
  }
  BTL_REQUIRE(status >= 0, path_, ": cannot read ", name, " (corrupt file: checksum or format error)");
}

bool H5File::read_rows_half_bits_into(const std::string& name, hsize_t first_row, hsize_t rows, uint16_t* out,
                                      size_t keep_open_cache_bytes) const {
  RowRead r = select_rows(name, first_row, rows, keep_open_cache_bytes);
  if (!r.half) return false;
  if (r.n == 0) return true;
  const herr_t status = H5Dread(r.ds, r.ftype.get(), r.mspace.get(), r.fspace.get(), H5P_DEFAULT, out);
  BTL_REQUIRE(status >= 0, path_, ": cannot read ", name, " (corrupt file: checksum or format error)");
  if (r.swap)
    for (size_t i = 0; i < r.n; ++i) out[i] = static_cast<uint16_t>((out[i] >> 8) | (out[i] << 8));
  return true;
}

void H5File::half_bits_to_float(const uint16_t* in, size_t n, float* out) { widen_float16(in, n, out); }

void H5File::close() {
  if (!file_) return;
  open_datasets_.clear();
  read_datasets_.clear();
  h5_check(H5Fflush(file_.get(), H5F_SCOPE_LOCAL) >= 0, path_, "flush failed (disk full?)");
  const hid_t id = file_.release();
  h5_check(H5Fclose(id) >= 0, path_, "close failed (disk full?)");
}

}  // namespace bertology
