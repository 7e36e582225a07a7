// A stage's memory budget (runtime.memory_gb): what the stage needs besides the features it holds is
// reserved first and checked before any work starts; what is left holds re-readable data (features
// read from the cache), in windows when it does not all fit.
//
//   MemoryBudget budget(ctx.params, ctx.name());
//   budget.reserve(word_table_bytes, "the word-vector table (V × dv × 4 B)");
//   budget.reserve(largest_step_bytes, "the longest sentence's training step (8 K n_max² × 4 B)");
//   const int64_t hold = budget.left();        // InputError when the reservations exceed it
//   auto windows = split_into_windows(order, bytes_of_sentence, hold);
//
// Units: bytes. The budget is per process (per MPI rank). Reservations are estimates from
// formulas (docs/scale.md); the process's fixed part (libraries, heap kept for reuse) is
// reserved by the constructor as kProcessBaseBytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/config/params.h"

namespace bertology {

class MemoryBudget {
 public:
  /// The process's part where it was not measured: LibTorch, HDF5 and MPI libraries, the run's
  /// config and entries (130–210 MiB measured at the start of a stage with the CPU LibTorch).
  static constexpr int64_t kProcessBaseBytes = int64_t{256} << 20;

  /// What LibTorch touches on first use after a stage starts (MKL/oneDNN buffers, thread pools;
  /// ~20 MiB measured on the CPU build), with room to spare.
  static constexpr int64_t kLibraryFirstUseBytes = int64_t{64} << 20;

  /// The budget runtime.memory_gb of `params`, for the stage `stage` (named in errors). Its first
  /// reservation is the process as the stage started (peak_memory.h: stage_start_rss_bytes; ~80 MiB
  /// with the CPU LibTorch, ~460 MiB with the CUDA one) plus kLibraryFirstUseBytes, else
  /// kProcessBaseBytes.
  MemoryBudget(const Params& params, std::string stage);
  /// A budget of `bytes` (tests).
  MemoryBudget(int64_t bytes, std::string stage);

  /// Reserves `bytes` the stage needs besides the features it holds; `what` says for what.
  void reserve(int64_t bytes, const std::string& what);
  /// Bytes not reserved, to hold re-readable data. InputError "runtime.memory_gb: <stage> needs at
  /// least X besides the features it holds (<item> <bytes> + ...) but the budget is Y; raise
  /// runtime.memory_gb" when the reservations exceed the budget: call it before any work.
  int64_t left() const;
  int64_t total() const { return total_; }
  int64_t reserved() const { return reserved_; }

 private:
  int64_t total_ = 0, reserved_ = 0;
  std::string stage_;
  std::vector<std::pair<std::string, int64_t>> items_;
};

/// Splits `order` into consecutive windows [begin, end) whose items' bytes (bytes_of(order[k]))
/// sum to at most `hold_bytes`; an item larger than that gets a window of its own. Positions are
/// indices into `order`. Every item is in exactly one window, in order; none is empty.
std::vector<std::pair<size_t, size_t>> split_into_windows(const std::vector<int64_t>& order,
                                                          const std::function<int64_t(int64_t)>& bytes_of,
                                                          int64_t hold_bytes);

}  // namespace bertology
