// Test helpers for running the real binary and shell commands (cli_tests, cache_tests).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/scratch.h"

namespace bertology::test {

struct Result {
  int code = -1;     ///< exit code (128 + signal when killed)
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs a shell command line, capturing stdout and stderr separately.
inline Result run_sh(const std::string& cmdline) {
  const auto d = scratch("run");
  const std::string cmd = cmdline + " >" + (d / "out").string() + " 2>" + (d / "err").string();
  Result r;
  const int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(d / "out");
  r.err = slurp(d / "err");
  return r;
}

/// `bertology ARGS...` with every argument quoted.
inline std::string bertology_cmd(const std::vector<std::string>& args) {
  std::string cmd = shell_quote(BERTOLOGY_BINARY);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  return cmd;
}

inline Result run_bertology(const std::vector<std::string>& args) { return run_sh(bertology_cmd(args)); }

}  // namespace bertology::test
