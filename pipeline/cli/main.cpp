// bertology: the thin executable; everything lives in the pipeline library.
#include <unistd.h>

#include <malloc.h>

#include <cstdio>
#include <iostream>

#include "pipeline/cli/command.h"

int main(int argc, char** argv) {
  // Reading a cache allocates and frees buffers of megabytes per chunk and layer. glibc's defaults
  // hand them back to the kernel each time (mmap, heap trimming) and fault the pages in again on
  // the next read: that was half the time of a pass over cached attention (measured with
  // scripts/bench/dependency_heads.sh). Keep up to 512 MiB of freed heap for reuse instead.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  const int rc = bertology::run_cli(argc, argv);
  if (rc == bertology::kExitInternal) {
    // After a failed write (disk full), HDF5 1.10 can crash in its own atexit handler while
    // closing the broken file again. Everything worth keeping is already on disk or reported,
    // so leave without atexit handlers rather than turn a clear error into a segfault.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    _exit(rc);
  }
  return rc;
}
