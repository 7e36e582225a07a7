// Removes the process's scratch root (tests/support/scratch.h) when the test executable exits. Without
// it a full ctest leaves ~2 GB of caches and study outputs in /tmp, which filled CI's disk before the
// CUDA build could install. A static object's destructor runs after every test and every global test
// environment's TearDown (slurm_tests' TearDown still runs commands through run_sh, which writes
// into the root), so nothing written there is left behind.
#include <cstdlib>
#include <iostream>
#include <system_error>

#include "tests/support/scratch.h"

namespace {

struct RemoveProcessScratchAtExit {
  ~RemoveProcessScratchAtExit() {
    const auto root = bertology::test::process_scratch_root();
    std::error_code ec;
    if (!std::filesystem::exists(root, ec)) return;
    if (const char* keep = std::getenv("BERTOLOGY_KEEP_TEST_DIRS"); keep != nullptr && *keep != '\0' && *keep != '0') {
      std::cerr << "[scratch] kept " << root.string() << " (BERTOLOGY_KEEP_TEST_DIRS)\n";
      return;
    }
    std::filesystem::remove_all(root, ec);
    if (ec) std::cerr << "[scratch] could not remove " << root.string() << ": " << ec.message() << "\n";
  }
};

const RemoveProcessScratchAtExit remove_process_scratch_at_exit;

}  // namespace
