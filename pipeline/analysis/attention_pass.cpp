#include "pipeline/analysis/attention_pass.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <algorithm>

#include "pipeline/util/stop_signal.h"

namespace bertology {

void attention_pass(const CacheReader& reader, const std::vector<int64_t>& sequences,
                    const std::function<void(int64_t, std::vector<std::vector<float>>&, int)>& process,
                    int workers, bool (*should_stop)(), size_t ahead) {
  struct Item {
    int64_t sequence;
    std::vector<std::vector<float>> attention;
  };
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Item> queue;
  bool reading_done = false, failed = false;
  std::exception_ptr worker_error;

  auto work = [&](int worker) {
    for (;;) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return !queue.empty() || reading_done || failed; });
        if (failed || queue.empty()) return;
        item = std::move(queue.front());
        queue.pop_front();
      }
      changed.notify_all();
      try {
        process(item.sequence, item.attention, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        worker_error = std::current_exception();
        failed = true;
        changed.notify_all();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  try {
    for (int w = 0; w < std::max(1, workers); ++w) threads.emplace_back(work, w);
  } catch (...) {
    // Could not start every worker: stop the ones that run, then report.
    {
      std::lock_guard<std::mutex> lock(mu);
      failed = true;
    }
    changed.notify_all();
    for (auto& t : threads) t.join();
    throw;
  }

  std::exception_ptr reader_error;
  bool stopped = false;
  try {
    for (int64_t i : sequences) {
      if (should_stop && should_stop()) {
        stopped = true;
        break;
      }
      Item item{i, {}};
      for (int l = 0; l < reader.num_layers(); ++l) item.attention.push_back(reader.attention(i, AttentionLayer{l}));
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return queue.size() < ahead || failed; });
      if (failed) break;
      queue.push_back(std::move(item));
      changed.notify_all();
    }
  } catch (...) {
    reader_error = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    reading_done = true;
    if (reader_error || stopped) failed = true;  // the worker drops what is queued
  }
  changed.notify_all();
  for (auto& t : threads) t.join();
  if (worker_error) std::rethrow_exception(worker_error);
  if (reader_error) std::rethrow_exception(reader_error);
  if (stopped) throw StopRequested{};
}

}  // namespace bertology
