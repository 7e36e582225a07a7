// bertology: the thin executable; everything lives in the pipeline library.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/util/heap_policy.h"

int main(int argc, char** argv) {
  bertology::keep_freed_heap_for_reuse();  // measured policy: see heap_policy.h
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
