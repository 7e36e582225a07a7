// safetensors reader and writer; see safetensors.h for the format and the validation policy.
#include "pipeline/model/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/input_file.h"

namespace bertology {

namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; a BERT header is a few tens of KB,
// so a larger length means a corrupt file, and refusing it avoids a huge allocation.
constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;


bool parse_dtype(const std::string& name, DType* out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F64", DType::F64}, {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16},
      {"I64", DType::I64}, {"I32", DType::I32}, {"I16", DType::I16}, {"I8", DType::I8},
      {"U8", DType::U8},   {"BOOL", DType::Bool}};
  for (const auto& [text, dtype] : kNames) {
    if (name == text) {
      *out = dtype;
      return true;
    }
  }
  return false;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Header entry of one tensor after validation.
struct Entry {
  std::string name;
  RawTensor* tensor;
  uint64_t begin, end;
};

/// Validates one tensor's header object and fills `t`; returns [begin, end).
std::pair<uint64_t, uint64_t> parse_entry(const std::string& path, const std::string& name,
                                          const json& info, RawTensor* t) {
  const std::string where = cat(path, ": tensor '", name, "': ");
  BTL_REQUIRE(info.is_object(), where, "header entry is not a JSON object");
  auto dtype_it = info.find("dtype");
  auto shape_it = info.find("shape");
  auto offsets_it = info.find("data_offsets");
  BTL_REQUIRE(dtype_it != info.end() && dtype_it->is_string(), where,
              "missing or non-string \"dtype\"");
  BTL_REQUIRE(shape_it != info.end() && shape_it->is_array(), where,
              "missing or non-array \"shape\"");
  BTL_REQUIRE(offsets_it != info.end() && offsets_it->is_array() && offsets_it->size() == 2, where,
              "\"data_offsets\" must be an array [begin, end]");

  const std::string dtype_text = dtype_it->get<std::string>();
  BTL_REQUIRE(parse_dtype(dtype_text, &t->dtype), where, "unsupported dtype '", dtype_text,
              "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");

  // Checked arithmetic: a hostile shape must not wrap around to a small byte count.
  uint64_t bytes = dtype_size(t->dtype);
  for (const json& d : *shape_it) {
    BTL_REQUIRE(d.is_number_integer() && d.get<int64_t>() >= 0, where,
                "shape entries must be non-negative integers, got ", d.dump());
    t->shape.push_back(d.get<int64_t>());
    BTL_REQUIRE(!__builtin_mul_overflow(bytes, d.get<uint64_t>(), &bytes), where, "shape ",
                shape_it->dump(), " overflows 64 bits");
  }
  for (const json& o : *offsets_it) {
    BTL_REQUIRE(o.is_number_integer() && o.get<int64_t>() >= 0, where,
                "data_offsets must be non-negative integers, got ", offsets_it->dump());
  }
  const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
  const uint64_t end = (*offsets_it)[1].get<uint64_t>();
  BTL_REQUIRE(begin <= end, where, "data_offsets [", begin, ", ", end, "] end before they begin");
  BTL_REQUIRE(end - begin == bytes, where, "header says shape ", shape_str(t->shape), " ",
              dtype_text, " = ", bytes, " bytes but data_offsets [", begin, ", ", end, "] span ",
              end - begin);
  return {begin, end};
}

}  // namespace

StateDict read_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  if (metadata) metadata->clear();
  InputFile file(path, "safetensors file");
  const uint64_t file_size = file.size();
  BTL_REQUIRE(file_size >= 8, path, ": not a safetensors file: ", file_size,
              " bytes is shorter than the 8-byte header length");

  uint8_t len_bytes[8];
  file.read_at(0, len_bytes, 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  BTL_REQUIRE(header_len <= file_size - 8, path, ": header length ", header_len,
              " goes beyond the end of the file (", file_size,
              " bytes): truncated, or not a safetensors file");
  BTL_REQUIRE(header_len <= kMaxHeaderBytes, path, ": header length ", header_len,
              " exceeds the 100 MB limit: corrupt file");

  std::string header_text(header_len, '\0');
  file.read_at(8, header_text.data(), header_len);

  // Duplicate names would silently shadow each other in a JSON object; catch them while parsing.
  std::set<std::string> seen;
  std::string duplicate;
  json header;
  try {
    header = json::parse(header_text, [&](int depth, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::key && depth == 1 && duplicate.empty() &&
          !seen.insert(parsed.get<std::string>()).second) {
        duplicate = parsed.get<std::string>();
      }
      return true;
    });
  } catch (const json::exception& e) {
    throw InputError(cat(path, ": header is not valid JSON (", e.what(), ")"));
  }
  BTL_REQUIRE(header.is_object(), path, ": header is not a JSON object");
  BTL_REQUIRE(duplicate.empty(), path, ": tensor name '", duplicate, "' appears twice in header");

  StateDict tensors;
  std::vector<Entry> entries;
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      BTL_REQUIRE(info.is_object(), path, ": __metadata__ is not a JSON object");
      for (const auto& [key, value] : info.items()) {
        BTL_REQUIRE(value.is_string(), path, ": __metadata__ value of '", key,
                    "' is not a string");
        if (metadata) (*metadata)[key] = value.get<std::string>();
      }
      continue;
    }
    RawTensor& t = tensors[name];
    auto [begin, end] = parse_entry(path, name, info, &t);
    BTL_REQUIRE(end <= data_size, path, ": truncated file: tensor '", name, "' data_offsets [",
                begin, ", ", end, "] go beyond the ", data_size, "-byte data section");
    entries.push_back({name, &t, begin, end});
  }

  // The tensors must tile [0, data_size) exactly; sorting also makes the reads sequential.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    BTL_REQUIRE(e.begin >= cursor, path, ": tensor '", e.name, "' data_offsets [", e.begin, ", ",
                e.end, "] overlap tensor '", previous ? previous->name : "", "' (ends at ",
                cursor, ")");
    BTL_REQUIRE(e.begin == cursor, path, ": ", e.begin - cursor, " bytes before tensor '",
                e.name, "' belong to no tensor (the format forbids holes)");
    cursor = e.end;
    previous = &e;
  }
  BTL_REQUIRE(cursor == data_size, path, ": ", data_size - cursor,
              " bytes after the last tensor belong to no tensor (the format forbids them)");

  for (const Entry& e : entries) {
    e.tensor->data.resize(e.end - e.begin);
    file.read_at(data_start + e.begin, e.tensor->data.data(), e.end - e.begin);
  }
  return tensors;
}

void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Decreasing element size keeps every tensor aligned to its element size, given that the data
  // section itself starts at a multiple of 8.
  std::vector<std::pair<const std::string*, const RawTensor*>> order;
  for (const auto& [name, t] : tensors) {
    uint64_t bytes = dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      if (d < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) {
        throw InternalError(cat(path, ": tensor '", name, "' has invalid shape ",
                                shape_str(t.shape)));
      }
    }
    if (bytes != t.data.size()) {
      throw InternalError(cat(path, ": tensor '", name, "' shape ", shape_str(t.shape), " ",
                              dtype_name(t.dtype), " needs ", bytes, " bytes but holds ",
                              t.data.size()));
    }
    order.emplace_back(&name, &t);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return dtype_size(a.second->dtype) > dtype_size(b.second->dtype);
  });

  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : order) {
    header[*name] = {{"dtype", dtype_name(t->dtype)},
                     {"shape", t->shape},
                     {"data_offsets", {offset, offset + t->data.size()}}};
    offset += t->data.size();
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const json::exception& e) {
    throw InternalError(cat(path, ": cannot encode header (", e.what(), ")"));
  }
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  uint8_t len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<uint8_t>(header_text.size() >> (8 * i));

  // Streamed, not built in memory: checkpoints are hundreds of MB.
  TempOutput tmp(path);
  std::FILE* out = std::fopen(tmp.path().c_str(), "wb");
  if (!out) throw InternalError(cat(tmp.path(), ": cannot create (", std::strerror(errno), ")"));
  // Remember the first failure's errno: later calls (fclose) may overwrite it.
  int err = 0;
  auto put = [&](const void* p, size_t n) {
    if (err == 0 && n > 0 && std::fwrite(p, 1, n, out) != n) err = errno ? errno : EIO;
  };
  put(len_bytes, 8);
  put(header_text.data(), header_text.size());
  for (const auto& entry : order) put(entry.second->data.data(), entry.second->data.size());
  // fclose flushes; a failure there (disk full) must not be mistaken for success.
  if (std::fclose(out) != 0 && err == 0) err = errno ? errno : EIO;
  if (err != 0) throw InternalError(cat(path, ": cannot write safetensors file (", std::strerror(err), ")"));
  tmp.commit();
}

}  // namespace bertology
