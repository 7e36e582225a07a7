// On-disk layout of the activation cache and its bookkeeping files.
//
//   <cache.dir>/<key16>/key.json                 canonical key (base + selection)
//                       plan.json                chunks: sequences and tokens of each
//                       chunk_00000.h5           one HDF5 file per chunk (written as .tmp.<host>.<pid>.<n>, renamed)
//                       chunk_00000.done.json    written after the rename: bytes + sha256 = "finished"
//                       manifest.json            written once every chunk is finished
//                       logs/rank_000.log        per-rank log (which chunk, timings)
//
// A chunk counts as finished only when its .done.json exists and agrees with the file, so a
// killed writer never leaves anything that looks complete, and concurrent runs on one directory
// at worst compute the same chunk twice (identical bytes, atomic renames).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/cache/cache_key.h"

namespace bertology {

/// Paths inside one cache entry, and how a request reads it.
///
/// Several requests may be served by one entry: an entry stores every sentence up to the model's
/// maximum length (input.overlong: skip) and a selection that may be a superset of the request's.
/// `read_max_length` and `request_digest` say what the request sees of it; they are not part of
/// the entry's identity.
struct CacheEntry {
  std::string dir;  ///< <cache.dir>/<key16>
  /// Readers hide sequences longer than this many wordpieces, as if extraction had skipped them
  /// (tokenizer.max_length below the stored maximum with input.overlong: skip); 0 = none hidden.
  int64_t read_max_length = 0;
  /// key_digest of the request (its base and its own selection): what a stage records as its
  /// input, so that the same request served by another covering entry reads as the same input.
  /// Empty for entries opened by directory.
  std::string request_digest = {};

  std::string key_file() const { return dir + "/key.json"; }
  std::string plan_file() const { return dir + "/plan.json"; }
  std::string manifest_file() const { return dir + "/manifest.json"; }
  std::string log_dir() const { return dir + "/logs"; }
  std::string chunk_file(int64_t index) const;
  std::string done_file(int64_t index) const;
};

/// The entry directory of a key digest under `root`.
CacheEntry cache_entry_for(const std::string& root, const std::string& key_digest);

/// What .done.json records about a finished chunk.
struct ChunkRecord {
  int64_t index = 0;
  int64_t num_sequences = 0;
  int64_t num_tokens = 0;
  uint64_t bytes = 0;
  std::string sha256;
  double seconds = 0;  ///< compute + write time (informational; not part of the bytes)
};

void write_chunk_record(const CacheEntry& entry, const ChunkRecord& record);
/// The record of chunk `index`, or nothing when it is not finished (no or unreadable .done.json).
std::optional<ChunkRecord> read_chunk_record(const CacheEntry& entry, int64_t index);

/// Checks a finished chunk: file present, size and sha256 as recorded. `problem` says what is wrong.
bool verify_chunk(const CacheEntry& entry, const ChunkRecord& record, bool hash, std::string* problem);

/// Forgets a chunk (removes .done.json first, then the file) so the next run recomputes it.
void invalidate_chunk(const CacheEntry& entry, int64_t index);

/// A file under a cache root that no finished entry needs: what `bertology cache gc` removes.
struct CacheLeftover {
  std::string path;
  const char* why;  ///< "temporary file of an interrupted run", "chunk without a finished record",
                    ///< "record without its chunk"
};

/// The leftovers of killed or interrupted runs in every entry directory under `root`: temporary
/// files (util/files.h is_temp_name), chunk files without their .done.json, .done.json records
/// without their chunk file. In directory order; none when `root` is not a directory. Removes
/// nothing. Removing them all is safe while no run writes to `root`.
std::vector<CacheLeftover> cache_leftovers(const std::string& root);

/// Summary of one entry for `cache ls` and reuse lookups.
struct CacheEntrySummary {
  CacheEntry entry;
  std::string key_digest;
  CacheKeyParts key;
  int64_t chunks_total = 0;   ///< from plan.json (0 when no plan yet)
  int64_t chunks_done = 0;    ///< .done.json present
  uint64_t bytes = 0;         ///< of finished chunks
  int64_t tokens = 0;         ///< of the whole plan
  bool complete = false;      ///< manifest.json present
  /// Complete, and another complete entry with the same base holds all of its datasets (a union
  /// made by a later extraction): that entry's directory. Empty otherwise.
  std::string superseded_by;
};

/// Every entry under `root` (directories with a key.json), sorted by directory name, with
/// superseded_by filled in.
std::vector<CacheEntrySummary> list_cache(const std::string& root);

}  // namespace bertology
