#include "pipeline/util/heap_policy.h"

#include <malloc.h>

namespace bertology {

void keep_freed_heap_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

void release_freed_heap() { malloc_trim(0); }

}  // namespace bertology
