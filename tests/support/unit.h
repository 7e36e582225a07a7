// What the unit tests share: the message of an expected InputError, and a fixture that gives
// each test a fresh scratch directory to write its inputs into.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "pipeline/util/error.h"
#include "tests/support/files.h"

namespace bertology::test {

/// The message of the InputError `fn` throws; the test fails if it throws nothing, or if the
/// message is not one line (the project's rule for user errors).
inline std::string input_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "messages are one line: " << what;
    return what;
  }
  ADD_FAILURE() << "expected an InputError";
  return "<no error>";
}

/// A fresh directory per test (<tmp>/bertology_test_<suite>_<pid>_<test>), removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           cat("bertology_test_", info->test_suite_name(), "_", ::getpid(), "_", info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes `content` byte for byte to `name` (subfolders created); returns its path.
  std::string write(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::filesystem::path dir_;
};

}  // namespace bertology::test
