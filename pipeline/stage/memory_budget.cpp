#include "pipeline/stage/memory_budget.h"

#include <cmath>

#include "pipeline/util/error.h"
#include "pipeline/util/peak_memory.h"
#include "pipeline/stage/csv_table.h"

namespace bertology {

MemoryBudget::MemoryBudget(const Params& params, std::string stage)
    : total_(static_cast<int64_t>(std::llround(params.runtime.memory_gb * double(int64_t{1} << 30)))),
      stage_(std::move(stage)) {
  // The process as the stage found it, measured when run_stages started it (kProcessBaseBytes
  // where nothing was measured: a stage run outside run_stages).
  const int64_t measured = stage_start_rss_bytes();
  reserve(measured > 0 ? measured + kLibraryFirstUseBytes : kProcessBaseBytes, "the process (libraries, config, entries)");
}

MemoryBudget::MemoryBudget(int64_t bytes, std::string stage) : total_(bytes), stage_(std::move(stage)) {
  reserve(kProcessBaseBytes, "the process (libraries, config, entries)");
}

void MemoryBudget::reserve(int64_t bytes, const std::string& what) {
  BTL_CHECK(bytes >= 0, "MemoryBudget::reserve: negative bytes for ", what);
  reserved_ += bytes;
  items_.emplace_back(what, bytes);
}

namespace {

/// MiB with one decimal, whatever the size: the error's numbers are ones to compute a budget from.
std::string mib(int64_t bytes) { return fixed(double(bytes) / double(int64_t{1} << 20), 1) + " MiB"; }

}  // namespace

int64_t MemoryBudget::left() const {
  if (reserved_ <= total_) return total_ - reserved_;
  std::string list;
  for (const auto& [item, b] : items_) list += cat(list.empty() ? "" : " + ", item, " ", mib(b));
  throw InputError(cat("runtime.memory_gb: ", stage_, " needs at least ", mib(reserved_),
                       " besides the features it holds (", list, ") but the budget is ", mib(total_),
                       "; raise runtime.memory_gb"));
}

std::vector<std::pair<size_t, size_t>> split_into_windows(const std::vector<int64_t>& order,
                                                          const std::function<int64_t(int64_t)>& bytes_of,
                                                          int64_t hold_bytes) {
  std::vector<std::pair<size_t, size_t>> windows;
  size_t begin = 0;
  int64_t held = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const int64_t b = bytes_of(order[k]);
    if (k > begin && held + b > hold_bytes) {
      windows.emplace_back(begin, k);
      begin = k;
      held = 0;
    }
    held += b;
  }
  if (begin < order.size()) windows.emplace_back(begin, order.size());
  return windows;
}

}  // namespace bertology
