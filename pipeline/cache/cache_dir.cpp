#include "pipeline/cache/cache_dir.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/json_number.h"

namespace bertology {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
std::string numbered(const std::string& dir, int64_t index, const char* suffix) {
  char name[64];
  std::snprintf(name, sizeof name, "/chunk_%05lld%s", static_cast<long long>(index), suffix);
  return dir + name;
}
}  // namespace

std::string CacheEntry::chunk_file(int64_t index) const { return numbered(dir, index, ".h5"); }
std::string CacheEntry::done_file(int64_t index) const { return numbered(dir, index, ".done.json"); }

CacheEntry cache_entry_for(const std::string& root, const std::string& key_digest) {
  return CacheEntry{(fs::path(root) / key_digest.substr(0, 16)).string()};
}

void write_chunk_record(const CacheEntry& entry, const ChunkRecord& r) {
  json j = {{"index", r.index}, {"num_sequences", r.num_sequences}, {"num_tokens", r.num_tokens},
            {"bytes", r.bytes}, {"sha256", r.sha256}, {"seconds", r.seconds}};
  write_file_atomic(entry.done_file(r.index), j.dump(1) + "\n");
}

std::optional<ChunkRecord> read_chunk_record(const CacheEntry& entry, int64_t index) {
  std::ifstream in(entry.done_file(index));
  if (!in.good()) return std::nullopt;
  try {
    const json j = json::parse(in);
    ChunkRecord r;
    const std::string file = entry.done_file(index);
    r.index = json_number<decltype(r.index)>(j.at("index"), file, "index");
    r.num_sequences = json_number<decltype(r.num_sequences)>(j.at("num_sequences"), file, "num_sequences");
    r.num_tokens = json_number<decltype(r.num_tokens)>(j.at("num_tokens"), file, "num_tokens");
    r.bytes = json_number<decltype(r.bytes)>(j.at("bytes"), file, "bytes");
    r.sha256 = j.at("sha256");
    r.seconds = j.value("seconds", 0.0);
    if (r.index != index) return std::nullopt;
    return r;
  } catch (const json::exception&) {
    return std::nullopt;  // a torn or foreign record means "not finished"
  } catch (const InputError&) {
    return std::nullopt;  // so does one with impossible numbers
  }
}

bool verify_chunk(const CacheEntry& entry, const ChunkRecord& record, bool hash, std::string* problem) {
  const std::string file = entry.chunk_file(record.index);
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    *problem = "missing";
    return false;
  }
  if (size != record.bytes) {
    *problem = cat("size ", size, " != recorded ", record.bytes);
    return false;
  }
  if (hash) {
    const std::string digest = sha256_file(file);
    if (digest != record.sha256) {
      *problem = cat("sha256 ", digest.substr(0, 12), "... != recorded ", record.sha256.substr(0, 12), "...");
      return false;
    }
  }
  return true;
}

void invalidate_chunk(const CacheEntry& entry, int64_t index) {
  std::error_code ec;
  fs::remove(entry.done_file(index), ec);
  fs::remove(entry.chunk_file(index), ec);
}

std::vector<CacheLeftover> cache_leftovers(const std::string& root) {
  static const std::regex chunk_re(R"(chunk_(\d+)\.h5)"), done_re(R"(chunk_(\d+)\.done\.json)");
  std::vector<CacheLeftover> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& d : fs::directory_iterator(root)) {
    if (!d.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(d.path())) {
      const std::string name = f.path().filename().string();
      std::smatch m;
      if (is_temp_name(name)) {
        out.push_back({f.path().string(), "temporary file of an interrupted run"});
      } else if (std::regex_match(name, m, chunk_re)) {
        if (!fs::exists(d.path() / ("chunk_" + m[1].str() + ".done.json")))
          out.push_back({f.path().string(), "chunk without a finished record"});
      } else if (std::regex_match(name, m, done_re)) {
        if (!fs::exists(d.path() / ("chunk_" + m[1].str() + ".h5")))
          out.push_back({f.path().string(), "record without its chunk"});
      }
    }
  }
  return out;
}

std::vector<CacheEntrySummary> list_cache(const std::string& root) {
  std::vector<CacheEntrySummary> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& d : fs::directory_iterator(root, ec)) {
    if (!d.is_directory() || !fs::exists(d.path() / "key.json")) continue;
    CacheEntrySummary s;
    s.entry.dir = d.path().string();
    const std::string text = read_file_bytes(s.entry.key_file(), "a cache key (key.json)");
    try {
      s.key = parse_key_json(text, s.entry.key_file());
    } catch (const InputError& e) {
      // Another bertology version's entry, or a damaged one, must not hide the others.
      std::cerr << "bertology: warning: skipping cache entry " << s.entry.dir << ": " << e.what() << "\n";
      continue;
    }
    s.key_digest = sha256_hex(text.data(), text.size());
    if (fs::exists(s.entry.plan_file())) {
      try {
        const json plan = json::parse(read_file_bytes(s.entry.plan_file(), "a cache plan (plan.json)"));
        s.chunks_total = plan.at("chunks").size();
        s.tokens = plan.at("num_tokens");
      } catch (const json::exception& e) {
        throw InputError(cat(s.entry.plan_file(), ": malformed plan: ", e.what()));
      }
    }
    for (int64_t i = 0; i < s.chunks_total; ++i) {
      if (auto r = read_chunk_record(s.entry, i)) {
        ++s.chunks_done;
        s.bytes += r->bytes;
      }
    }
    s.complete = fs::exists(s.entry.manifest_file());
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.entry.dir < b.entry.dir; });
  // A complete entry whose every dataset another complete entry of the same base also holds (the
  // union a later extraction made) serves nothing the other does not.
  std::vector<std::string> bases;
  for (const auto& s : out) bases.push_back(base_key_digest(s.key));
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < out.size() && out[i].complete; ++j)
      if (j != i && out[j].complete && bases[j] == bases[i] && out[j].key.selection.covers(out[i].key.selection) &&
          out[j].superseded_by.empty()) {
        out[i].superseded_by = out[j].entry.dir;
        break;
      }
  return out;
}

}  // namespace bertology
