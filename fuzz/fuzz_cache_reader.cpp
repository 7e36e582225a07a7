// The cache reader's consistency checks (cache/cache_reader.h) on mutated copies of a small REAL
// entry: `scripts/fuzz.sh` extracts it with build/bertology (tiny fixture model, four chunks,
// attention of one layer and two heads, word pooling, float16) into build-fuzz/cache_seed/, and
// BERTOLOGY_FUZZ_CACHE_ROOT names its cache folder.
//
// Input: a list of 12-byte edits, applied to a fresh copy of the entry:
//   byte 0   what:  bits 0-3 = target, bits 4-7 = chunk (mod the number of chunks)
//                   target 0-9   an index dataset (kIndexDatasets)
//                   target 10    the chunk's first hidden layer      target 11  its attention layer
//                   target 12-14 plan.json's num_sequences / num_tokens / num_words of the chunk
//                   target 15    plan.json's total num_sequences
//   byte 1   how:   0 set element [at] = value    1 add (value mod 7) - 3 to element [at]
//                   2 resize to (value mod 2 * size + 2) elements (new ones = value)
//                   3 give it an extent of (value mod 2^41) elements, unwritten (chunked storage)
//                   tensors: 0/1 one more or one less column, 2 one more row, 3 removed
//   bytes 2-3 at (uint16, mod the size); bytes 4-11 value (int64, little endian)
// The manifest is updated to the new file sizes (else every edit would stop at the size check).
// Property: open() and every read (sequences, hidden rows, word rows, attention at both levels)
// either succeed with the shapes the reader promises and finite values, or throw an InputError of
// one line; sizes read from a file are checked before they are allocated (libFuzzer -malloc_limit_mb);
// an attention layer read three times over (copied to row scratch on the third) gives the same bits,
// and word rows read in any order into given places equal the rows read in order.
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/cache/chunk_format.h"
#include "pipeline/util/files.h"

namespace fs = std::filesystem;
using bertology::CacheEntry;
using bertology::CacheReader;

namespace {

struct IndexDataset {
  const char* name;
  bool is64;
};
constexpr IndexDataset kIndexDatasets[] = {
    {"/tokens/input_ids", false},     {"/tokens/word_ids", false},        {"/tokens/segment_ids", false},
    {"/sequences/offsets", true},     {"/sequences/sentence_a", true},    {"/sequences/sentence_b", true},
    {"/sequences/num_words", false},  {"/sequences/word_offsets", true},  {"/sequences/truncated", false},
    {"/attention/offsets", true},
};
constexpr int kNumIndexDatasets = 10;

/// The pristine entry: where it is and its chunk files' index datasets (as int64).
struct Pristine {
  fs::path dir;
  std::vector<std::string> chunk_names;  // chunk file names inside dir
  std::vector<std::vector<std::vector<int64_t>>> index;  // [chunk][dataset] values
  std::vector<std::string> hidden, attention;             // per chunk: first dataset of each kind
};

fs::path the_entry() {
  const char* env = std::getenv("BERTOLOGY_FUZZ_CACHE_ROOT");
  const fs::path root = env ? fs::path(env) : fs::path(BERTOLOGY_FUZZ_CACHE_ROOT);
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(root, ec))
    if (d.is_directory() && fs::exists(d.path() / "manifest.json")) return d.path();
  std::fprintf(stderr, "fuzz_cache_reader: no finished cache entry under %s (scripts/fuzz.sh makes it with build/bertology)\n",
               root.c_str());
  std::exit(2);
}

std::vector<int64_t> read_all(hid_t file, const char* name) {
  const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  if (ds < 0) return {};
  const hid_t space = H5Dget_space(ds);
  std::vector<int64_t> v(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
  if (!v.empty()) H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Sclose(space);
  H5Dclose(ds);
  return v;
}

/// Names of the datasets in group `group` of `file` (sorted).
std::vector<std::string> members(hid_t file, const char* group) {
  std::vector<std::string> names;
  const hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
  if (g < 0) return names;
  H5Literate(
      g, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(name);
        return 0;
      },
      &names);
  H5Gclose(g);
  return names;
}

const Pristine& pristine() {
  static const Pristine p = [] {
    Pristine x;
    x.dir = the_entry();
    for (const auto& f : fs::directory_iterator(x.dir))
      if (f.path().extension() == ".h5") x.chunk_names.push_back(f.path().filename().string());
    std::sort(x.chunk_names.begin(), x.chunk_names.end());
    for (const auto& name : x.chunk_names) {
      const hid_t f = H5Fopen((x.dir / name).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      auto& datasets = x.index.emplace_back();
      for (const auto& d : kIndexDatasets) datasets.push_back(read_all(f, d.name));
      const auto hidden = members(f, "/hidden"), attention = members(f, "/attention");
      x.hidden.push_back(hidden.empty() ? "" : "/hidden/" + hidden[0]);
      std::string layer;
      for (const auto& a : attention)
        if (a != "offsets") layer = "/attention/" + a;
      x.attention.push_back(layer);
      H5Fclose(f);
    }
    if (x.chunk_names.empty()) {
      std::fprintf(stderr, "fuzz_cache_reader: %s holds no chunk files\n", x.dir.c_str());
      std::exit(2);
    }
    return x;
  }();
  return p;
}

struct Edit {
  int target, chunk, how;
  uint16_t at;
  int64_t value;
};

/// x + (value mod 7) - 3, wrapping (an earlier edit may have set x to an extreme).
int64_t nudged(int64_t x, int64_t value) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(value % 7 - 3));
}

std::vector<Edit> parse_edits(const uint8_t* data, size_t size, int num_chunks) {
  std::vector<Edit> edits;
  for (size_t o = 0; o + 12 <= size && edits.size() < 16; o += 12) {
    Edit e;
    e.target = data[o] & 15;
    e.chunk = (data[o] >> 4) % num_chunks;
    e.how = data[o + 1] & 3;
    std::memcpy(&e.at, data + o + 2, 2);
    std::memcpy(&e.value, data + o + 4, 8);
    edits.push_back(e);
  }
  return edits;
}

/// Replaces dataset `name` of the open `file` by `values` (int32 or int64 as stored), or by an
/// unwritten chunked dataset of `huge_extent` elements when that is > 0.
void rewrite_index(hid_t file, const IndexDataset& d, const std::vector<int64_t>& values, hsize_t huge_extent) {
  H5Ldelete(file, d.name, H5P_DEFAULT);
  const hsize_t n = huge_extent > 0 ? huge_extent : values.size();
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (huge_extent > 0 || n == 0) {
    const hsize_t chunk = 64;
    H5Pset_chunk(dcpl, 1, &chunk);
  }
  const hid_t type = d.is64 ? H5T_STD_I64LE : H5T_STD_I32LE;
  const hid_t ds = H5Dcreate2(file, d.name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (huge_extent == 0 && n > 0) H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
}

/// Reshapes tensor dataset `name` (float16 or float32, [rows, cols] or [n]) to new dims, zeros.
void reshape_tensor(hid_t file, const std::string& name, int how) {
  const hid_t old = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (old < 0) return;
  const hid_t type = H5Dget_type(old);
  const hid_t space = H5Dget_space(old);
  std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  H5Sclose(space);
  H5Dclose(old);
  H5Ldelete(file, name.c_str(), H5P_DEFAULT);
  if (how == 3 || dims.empty()) {
    H5Tclose(type);
    return;
  }
  if (how == 0) dims.back() += 1;
  if (how == 1 && dims.back() > 0) dims.back() -= 1;
  if (how == 2) dims.front() += 1;
  const hid_t new_space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t ds = H5Dcreate2(file, name.c_str(), type, new_space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(ds);  // contiguous, unwritten: reads give the fill value 0
  H5Sclose(new_space);
  H5Tclose(type);
}

/// A fresh copy of the pristine entry with `edits` applied; returns its directory.
fs::path edited_entry(const std::vector<Edit>& edits) {
  const Pristine& p = pristine();
  const fs::path dir = bertology::fuzz::scratch_dir() / "entry";
  fs::remove_all(dir);
  fs::copy(p.dir, dir, fs::copy_options::recursive);
  nlohmann::json plan = nlohmann::json::parse(bertology::read_file_bytes((dir / "plan.json").string(), "plan"));
  const int num_chunks = static_cast<int>(p.chunk_names.size());
  for (int c = 0; c < num_chunks; ++c) {
    std::vector<std::vector<int64_t>> index = p.index[c];
    std::map<int, hsize_t> huge;  // dataset -> extent
    bool touched = false;
    std::vector<std::pair<std::string, int>> reshapes;
    for (const Edit& e : edits) {
      if (e.chunk != c) continue;
      if (e.target < kNumIndexDatasets) {
        auto& v = index[e.target];
        touched = true;
        if (e.how == 0 && !v.empty()) v[e.at % v.size()] = e.value;
        if (e.how == 1 && !v.empty()) v[e.at % v.size()] = nudged(v[e.at % v.size()], e.value);
        if (e.how == 2) v.resize(static_cast<uint64_t>(e.value) % (2 * v.size() + 2), e.value);
        if (e.how == 3) huge[e.target] = static_cast<uint64_t>(e.value) % (hsize_t{1} << 41) + 1;
      } else if (e.target == 10 || e.target == 11) {
        const std::string& name = e.target == 10 ? p.hidden[c] : p.attention[c];
        if (!name.empty()) reshapes.emplace_back(name, e.how);
      } else if (e.target < 15) {
        static const char* kFields[] = {"num_sequences", "num_tokens", "num_words"};
        auto& field = plan["chunks"][c][kFields[e.target - 12]];
        field = e.how == 1 ? nudged(field.get<int64_t>(), e.value) : e.value;
      } else {
        plan["num_sequences"] = e.value;
      }
    }
    if (!touched && reshapes.empty()) continue;
    const fs::path file = dir / p.chunk_names[c];
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    for (int d = 0; d < kNumIndexDatasets; ++d)
      if (index[d] != p.index[c][d] || huge.count(d))
        rewrite_index(f, kIndexDatasets[d], index[d], huge.count(d) ? huge[d] : 0);
    for (const auto& [name, how] : reshapes) reshape_tensor(f, name, how);
    H5Fclose(f);
  }
  std::ofstream(dir / "plan.json") << plan.dump();
  // Keep the manifest's sizes those of the files (the cheap size check is not what is fuzzed).
  nlohmann::json manifest = nlohmann::json::parse(bertology::read_file_bytes((dir / "manifest.json").string(), "manifest"));
  for (auto& m : manifest["chunks"]) {
    const auto index = m["index"].get<int64_t>();
    char name[32];
    std::snprintf(name, sizeof name, "chunk_%05lld.h5", static_cast<long long>(index));
    std::error_code ec;
    const auto size = fs::file_size(dir / name, ec);
    if (!ec) m["bytes"] = size;
  }
  std::ofstream(dir / "manifest.json") << manifest.dump();
  return dir;
}

void require_finite(const float* v, size_t n, const char* what) {
  for (size_t i = 0; i < n; ++i) FUZZ_REQUIRE(std::isfinite(v[i]), what);
}

/// Every read the reader offers, with the shapes it promises.
void read_everything(const CacheReader& r) {
  using namespace bertology;
  FUZZ_REQUIRE(r.num_sequences() > 0, "an open entry has sequences");
  const int64_t d = r.hidden_size();
  for (int64_t i = 0; i < r.num_sequences(); ++i) {
    const auto s = r.sequence(i);
    const int64_t T = r.sequence_length(i);
    FUZZ_REQUIRE(static_cast<int64_t>(s.input_ids.size()) == T && s.word_ids.size() == s.input_ids.size(), "sequence length");
    for (int32_t w : s.word_ids) FUZZ_REQUIRE(w >= -1 && w < s.num_words, "word id in range");
    for (int64_t layer : r.layers()) {
      const FloatMatrix h = r.sequence_hidden(i, HiddenLayer{static_cast<int>(layer)});
      FUZZ_REQUIRE(h.rows == T && h.cols == d, "sequence_hidden shape");
      require_finite(h.data.data(), h.data.size(), "sequence_hidden finite");
    }
    const int64_t H = static_cast<int64_t>(r.attention_heads().size());
    for (int64_t layer : r.attention_layers()) {
      const auto a = r.attention(i, AttentionLayer{static_cast<int>(layer)});
      FUZZ_REQUIRE(static_cast<int64_t>(a.size()) == H * T * T, "attention shape");
      require_finite(a.data(), a.size(), "attention finite");
      for (WordFrom from : {WordFrom::Mean, WordFrom::First}) {
        std::vector<int32_t> units;
        const auto w = r.word_attention(i, AttentionLayer{static_cast<int>(layer)}, from, &units);
        const int64_t U = static_cast<int64_t>(units.size());
        FUZZ_REQUIRE(static_cast<int64_t>(w.size()) == H * U * U, "word attention shape");
        require_finite(w.data(), w.size(), "word attention finite");
      }
    }
  }
  // Re-reads of an attention layer: past two passes the reader copies the layer to a scratch file
  // (row_scratch.h) and reads each sequence's maps from there; they must be the same bits.
  if (!r.attention_layers().empty()) {
    const AttentionLayer layer{static_cast<int>(r.attention_layers().front())};
    std::vector<std::vector<float>> first;
    for (int64_t i = 0; i < r.num_sequences(); ++i) first.push_back(r.attention(i, layer));
    for (int pass = 0; pass < CacheReader::kScratchAfterPasses + 1; ++pass)
      for (int64_t i = r.num_sequences() - 1; i >= 0; --i) {
        const auto a = r.attention(i, layer);
        FUZZ_REQUIRE(a.size() == first[static_cast<size_t>(i)].size() &&
                         std::memcmp(a.data(), first[static_cast<size_t>(i)].data(), a.size() * sizeof(float)) == 0,
                     "attention re-reads (from the scratch copy after two passes) equal the first read");
      }
  }
  for (int64_t layer : r.layers()) {
    const FloatMatrix all = r.load_layer(HiddenLayer{static_cast<int>(layer)});
    FUZZ_REQUIRE(all.rows == r.num_tokens() && all.cols == d, "load_layer shape");
    require_finite(all.data.data(), all.data.size(), "load_layer finite");
    if (r.word_pooling() != "none") {
      const FloatMatrix words = r.load_layer_words(HiddenLayer{static_cast<int>(layer)});
      FUZZ_REQUIRE(words.rows == r.num_words() && words.cols == d, "load_layer_words shape");
      std::vector<int64_t> rows;
      for (int64_t w = 0; w < r.num_words(); w += 3) rows.push_back(w);
      std::vector<float> out(rows.size() * static_cast<size_t>(d));
      r.read_word_rows(HiddenLayer{static_cast<int>(layer)}, rows, out.data());
      for (size_t k = 0; k < rows.size(); ++k)
        FUZZ_REQUIRE(std::memcmp(out.data() + k * d, words.row(rows[k]), sizeof(float) * d) == 0,
                     "read_word_rows equals load_layer_words");
      // The same rows backwards, each into its place counted from the end.
      std::vector<int64_t> backwards(rows.rbegin(), rows.rend()), at;
      for (size_t k = 0; k < backwards.size(); ++k) at.push_back(static_cast<int64_t>(backwards.size() - 1 - k) * d);
      std::vector<float> placed(out.size());
      r.read_word_rows(HiddenLayer{static_cast<int>(layer)}, backwards, placed.data(), at);
      FUZZ_REQUIRE(std::memcmp(placed.data(), out.data(), out.size() * sizeof(float)) == 0,
                   "rows read in any order land in their places");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // HDF5's own error stack printing: noise here
  // The pristine entry must open and read cleanly, or every finding would be the harness's.
  try {
    read_everything(CacheReader::open(CacheEntry{pristine().dir.string()}));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_cache_reader: the pristine entry fails: %s\n", e.what());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto edits = parse_edits(data, size, static_cast<int>(pristine().chunk_names.size()));
  const fs::path dir = edited_entry(edits);
  bertology::fuzz::expect_clean([&] { read_everything(CacheReader::open(CacheEntry{dir.string()})); });
  return 0;
}
