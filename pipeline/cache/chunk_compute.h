// Computing one chunk: batches through the encoder, a writer thread into a temporary HDF5 file,
// checksum, rename, record. LibTorch stays behind the pimpl so callers compile without it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cache/cache_key.h"
#include "pipeline/cache/plan.h"

namespace bertology {

/// Settings of the computation (all of them are in the cache key).
struct ChunkComputeOptions {
  std::string model_dir;
  std::string device = "cpu";
  std::string compute_dtype = "float32";
  int threads = 2;
  CacheSelection selection;        ///< resolved: layers/heads lists explicit and sorted
  std::string stored_dtype = "float16";
  int deflate = 0;
  int64_t batch_tokens = 4096;
  size_t queue_batches = 4;        ///< finished batches waiting for the writer (bounded memory)
};

/// Timings of one chunk, for logs and the benchmark.
struct ChunkTimings {
  double forward_seconds = 0;      ///< encoder + device->host + fp16 conversion + packing
  double writer_wait_seconds = 0;  ///< compute thread blocked on a full writer queue
};

class ChunkComputer {
 public:
  explicit ChunkComputer(const ChunkComputeOptions& options);
  ~ChunkComputer();

  /// Computes `chunk` of `plan` into `entry`. The writer thread finishes the file (close, sha256,
  /// rename, record) while the caller goes on with the next chunk; flush() collects the records.
  /// Returns false, leaving no file for this chunk, when `stop()` became true between batches.
  bool compute(const ExtractionPlan& plan, const PlannedChunk& chunk, const CacheEntry& entry,
               const std::string& key_json, const std::function<bool()>& stop, ChunkTimings* timings = nullptr);

  /// Waits for the writer; returns the chunks finished since the last call (rethrows write errors).
  std::vector<ChunkRecord> flush();
  /// The chunks finished since the last call, without waiting.
  std::vector<ChunkRecord> take_finished();

  int num_layers() const;
  int hidden_size() const;
  int num_heads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertology
