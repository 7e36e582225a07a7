// Removes the process's scratch root (tests/support/scratch.h) after its last test. Without it a
// full ctest leaves ~2 GB of caches and study outputs in /tmp, which filled CI's disk before the
// CUDA build could install.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <system_error>

#include "tests/support/scratch.h"

namespace {

class RemoveProcessScratch : public ::testing::Environment {
 public:
  void TearDown() override {
    const auto root = bertology::test::process_scratch_root();
    if (const char* keep = std::getenv("BERTOLOGY_KEEP_TEST_DIRS"); keep != nullptr && *keep != '\0' && *keep != '0') {
      std::cerr << "[scratch] kept " << root.string() << " (BERTOLOGY_KEEP_TEST_DIRS)\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
    if (ec) std::cerr << "[scratch] could not remove " << root.string() << ": " << ec.message() << "\n";
  }
};

[[maybe_unused]] ::testing::Environment* const remove_process_scratch =
    ::testing::AddGlobalTestEnvironment(new RemoveProcessScratch);

}  // namespace
