#include "stages/confusion_score/confusion.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "pipeline/util/error.h"

namespace bertology {

double confusion_score(const float* attention, int n, int source, const std::vector<std::vector<int>>& groups) {
  double total = 0, first = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    double a = 0;
    for (int w : groups[g]) a += attention[static_cast<int64_t>(source) * n + w];
    total += a;
    if (g == 0) first = a;
  }
  if (total <= 0) return std::numeric_limits<double>::quiet_NaN();
  return -std::log2(first / total);
}

std::vector<std::vector<int>> index_groups(const std::string& indices, const std::string& origin) {
  std::vector<std::vector<int>> groups;
  std::istringstream in(indices);
  std::string token;
  while (in >> token) {
    size_t used = 0;
    int index = -1;
    try {
      index = std::stoi(token, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    BTL_REQUIRE(used == token.size() && index >= 0, origin, ": bad word index '", token, "'");
    if (groups.empty() || groups.back().back() + 1 != index) groups.emplace_back();
    groups.back().push_back(index);
  }
  return groups;
}

}  // namespace bertology
