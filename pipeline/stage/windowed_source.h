// Items (sentences) that a trainer reads a window at a time under a memory budget: the interface the
// attention probe and the structural probe train on, its in-memory form, the store a cache-backed
// source keeps its window (or everything) in, and the window walk.
//
//   class MySentences : public WindowedSource<MySentence> {   // reads from the cache
//     std::vector<const MySentence*> load(const std::vector<int64_t>& ids) override {
//       return store_.load(ids, *this, [&](const std::vector<int64_t>& sorted) { return read(sorted); });
//     }
//     WindowStore<MySentence> store_;
//   };
//   visit_in_windows(source, order, hold_bytes, [&](const MySentence& s) { ...one step... });
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

#include "pipeline/stage/memory_budget.h"
#include "pipeline/util/error.h"
#include "pipeline/util/heap_policy.h"

namespace bertology {

template <typename Item>
class WindowedSource {
 public:
  virtual ~WindowedSource() = default;
  virtual int64_t count() const = 0;
  /// Bytes item i holds once loaded.
  virtual int64_t bytes(int64_t i) const = 0;
  /// Items `ids` (indices in [0, count())), in that order; valid until the next load().
  virtual std::vector<const Item*> load(const std::vector<int64_t>& ids) = 0;
};

/// Items already in memory; `bytes_of` says what one holds.
template <typename Item>
class HeldSource : public WindowedSource<Item> {
 public:
  HeldSource(const std::vector<Item>& items, std::function<int64_t(const Item&)> bytes_of)
      : items_(items), bytes_of_(std::move(bytes_of)) {}
  int64_t count() const override { return static_cast<int64_t>(items_.size()); }
  int64_t bytes(int64_t i) const override { return bytes_of_(items_[static_cast<size_t>(i)]); }
  std::vector<const Item*> load(const std::vector<int64_t>& ids) override {
    std::vector<const Item*> out;
    out.reserve(ids.size());
    for (int64_t i : ids) out.push_back(&items_[static_cast<size_t>(i)]);
    return out;
  }

 private:
  const std::vector<Item>& items_;
  std::function<int64_t(const Item&)> bytes_of_;
};

/// What a source read: the current window, or every item once keep_all() (they fit the budget;
/// later loads, of any job, read nothing).
template <typename Item>
class WindowStore {
 public:
  /// `read(sorted)` returns the items of ascending, distinct indices, in that order.
  using Reader = std::function<std::vector<Item>(const std::vector<int64_t>& sorted)>;

  void keep_all() { keep_all_ = true; }
  bool keeps_all() const { return keep_all_; }

  /// Items `ids` of `source` in that order. Reads every item of [0, source.count()) on the first
  /// load after keep_all(), else the window's items in index order (a cache reads each chunk once),
  /// after freeing the previous window. The freed heap is given back to the kernel before a window
  /// larger than every one before it (heap_policy.h: it would not fit the holes of the smaller ones,
  /// and the heap would grow past the budget); a window no larger reuses the heap its predecessors
  /// freed, without faulting its pages in again (giving it back every window cost the structural
  /// probe a fifth of its time).
  std::vector<const Item*> load(const std::vector<int64_t>& ids, const WindowedSource<Item>& source, const Reader& read) {
    const int64_t count = source.count();
    if (!keep_all_ || static_cast<int64_t>(held_ids_.size()) != count) {
      held_.clear();
      int64_t bytes = 0;
      if (keep_all_) {
        bytes = std::numeric_limits<int64_t>::max();
      } else {
        for (int64_t i : ids) bytes += source.bytes(i);
      }
      if (bytes > largest_window_bytes_) {
        release_freed_heap();
        largest_window_bytes_ = bytes;
      }
      if (keep_all_) {
        held_ids_.resize(static_cast<size_t>(count));
        std::iota(held_ids_.begin(), held_ids_.end(), int64_t{0});
      } else {
        held_ids_ = ids;
        std::sort(held_ids_.begin(), held_ids_.end());
        held_ids_.erase(std::unique(held_ids_.begin(), held_ids_.end()), held_ids_.end());
      }
      held_ = read(held_ids_);
      BTL_CHECK(held_.size() == held_ids_.size(), "WindowStore: ", held_.size(), " items read for ", held_ids_.size());
    }
    std::vector<const Item*> out;
    out.reserve(ids.size());
    for (int64_t i : ids) {
      const auto at = std::lower_bound(held_ids_.begin(), held_ids_.end(), i);
      BTL_CHECK(at != held_ids_.end() && *at == i, "WindowStore: item ", i, " is not loaded");
      out.push_back(&held_[static_cast<size_t>(at - held_ids_.begin())]);
    }
    return out;
  }

 private:
  bool keep_all_ = false;
  int64_t largest_window_bytes_ = 0;  ///< bytes of the largest window read so far
  std::vector<Item> held_;
  std::vector<int64_t> held_ids_;  ///< index of each held item, ascending
};

/// Calls visit(item) for the items order[0], order[1], ... of `source`, loading them a window of at
/// most `hold_bytes` at a time (split_into_windows). Returns the windows loaded.
template <typename Item, typename Visit>
int64_t visit_in_windows(WindowedSource<Item>& source, const std::vector<int64_t>& order, int64_t hold_bytes,
                         Visit visit) {
  int64_t windows = 0;
  const auto bytes_of = [&source](int64_t i) { return source.bytes(i); };
  for (const auto& [begin, end] : split_into_windows(order, bytes_of, hold_bytes)) {
    const auto window = source.load(std::vector<int64_t>(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                                         order.begin() + static_cast<std::ptrdiff_t>(end)));
    windows += 1;
    for (const Item* item : window) visit(*item);
  }
  return windows;
}

/// Indices 0 .. n-1.
inline std::vector<int64_t> index_order(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

}  // namespace bertology
