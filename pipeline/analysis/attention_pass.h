// One pass over the attention of some sequences, reading on this thread and computing on a
// second one. HDF5 here is single-threaded, so reads stay on the calling thread; the stage's work
// on sequence i (word-level conversion, scoring) overlaps the reads of the next sequences.
// Measured on EWT dev (scripts/bench/dependency_heads.sh): reading is about 40% of a pass.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/cache/cache_reader.h"

namespace bertology {

/// Calls process(i, attention, worker) for each i of `sequences`, where attention[l] =
/// reader.attention(i, AttentionLayer{l}) for l = 0..num_layers()-1 (the entry must store every layer). process
/// runs on `workers` threads (worker = 0..workers-1; calls with the same worker never overlap, so
/// per-worker accumulators need no lock; sequences reach workers in order, but finish in any
/// order: accumulate sums). At most `ahead` sequences are read in advance. An exception from
/// process or a read is rethrown here after every thread stopped. `should_stop` (may be null) is
/// polled between reads; when true the pass ends and StopRequested is thrown.
void attention_pass(const CacheReader& reader, const std::vector<int64_t>& sequences,
                    const std::function<void(int64_t, std::vector<std::vector<float>>&, int)>& process,
                    int workers = 1, bool (*should_stop)() = nullptr, size_t ahead = 8);

}  // namespace bertology
