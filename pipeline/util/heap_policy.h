// The process's heap policy, shared by the bertology binary and the benchmarks that measure it.
#pragma once

namespace bertology {

/// Keeps large freed blocks in the heap for reuse instead of returning them to the kernel.
///
/// Reading a cache allocates and frees buffers of megabytes per chunk and layer, and training
/// allocates activations and gradients of megabytes per step. glibc's defaults hand such blocks
/// back to the kernel each time (mmap above 128 KiB, heap trimming) and fault the pages in again
/// on the next use: that was half the time of a pass over cached attention
/// (scripts/bench/dependency_heads.sh) and most of the system time of a fine-tuning step
/// (scripts/bench/mc_train.sh). Blocks under 64 MiB come from the heap, and up to 512 MiB of freed
/// heap is kept.
void keep_freed_heap_for_reuse();

/// Returns the freed heap pages of every arena to the kernel (malloc_trim). Stages that stream
/// windows of varying sizes call it between windows: the heap kept for reuse would otherwise grow
/// by the holes between them, beyond the memory budget (runtime.memory_gb). A few milliseconds.
void release_freed_heap();

}  // namespace bertology
