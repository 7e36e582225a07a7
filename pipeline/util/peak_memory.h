// The process's resident memory, as Linux reports it: what the scale benchmark and the
// bounded-memory tests measure, and what every stage logs when it ends.
#pragma once

#include <cstdint>

namespace bertology {

/// Peak resident set size of this process (VmHWM of /proc/self/status), in bytes; since the
/// process started or since the last successful reset_peak_rss(). 0 when it cannot be read.
int64_t peak_rss_bytes();

/// Current resident set size (VmRSS), in bytes; 0 when it cannot be read.
int64_t current_rss_bytes();

/// Records the current resident set as the process's base when a stage starts (run_stages), for
/// memory budgets: what the libraries, the config and the entries take before the stage holds
/// anything (130–210 MiB with the CPU LibTorch, more with the CUDA one).
void mark_stage_start();
/// The resident set recorded by the last mark_stage_start(), in bytes; 0 before any.
int64_t stage_start_rss_bytes();

/// Starts a new peak measurement (writes "5" to /proc/self/clear_refs, Linux ≥ 4.0): afterwards
/// peak_rss_bytes() is the peak since this call. Returns false where the kernel refuses, and the
/// peak then still counts from the process start.
bool reset_peak_rss();

}  // namespace bertology
