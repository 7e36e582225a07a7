// Reading and comparing the CSV tables of stage outputs in end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace bertology::test {

namespace fs = std::filesystem;

inline std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream cs(line);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

/// Every CSV under a results folder, by path relative to it.
inline std::map<std::string, fs::path> csv_files(const fs::path& root) {
  std::map<std::string, fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".csv") out[fs::relative(e.path(), root).string()] = e.path();
  return out;
}

/// Same header and cells; numbers equal to float round-off (summation order differs by rank).
inline void expect_same_tables(const fs::path& a, const fs::path& b, size_t min_files) {
  const auto fa = csv_files(a), fb = csv_files(b);
  ASSERT_EQ(fa.size(), fb.size());
  ASSERT_GE(fa.size(), min_files);
  for (const auto& [name, path] : fa) {
    ASSERT_TRUE(fb.count(name)) << name;
    const auto ra = read_csv(path), rb = read_csv(fb.at(name));
    ASSERT_EQ(ra.size(), rb.size()) << name;
    for (size_t r = 0; r < ra.size(); ++r) {
      ASSERT_EQ(ra[r].size(), rb[r].size()) << name << " row " << r;
      for (size_t c = 0; c < ra[r].size(); ++c) {
        char* end_a = nullptr;
        char* end_b = nullptr;
        const double x = std::strtod(ra[r][c].c_str(), &end_a), y = std::strtod(rb[r][c].c_str(), &end_b);
        if (*end_a == '\0' && *end_b == '\0' && !ra[r][c].empty() && !(std::isnan(x) && std::isnan(y)))
          EXPECT_NEAR(x, y, 1e-4 * std::max(1.0, std::fabs(x))) << name << " row " << r << " col " << c;
        else
          EXPECT_EQ(ra[r][c], rb[r][c]) << name << " row " << r << " col " << c;
      }
    }
  }
}

}  // namespace bertology::test
