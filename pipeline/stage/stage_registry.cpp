#include "pipeline/stage/stage_registry.h"

#include <algorithm>
#include <map>

namespace bertology {
namespace {
std::map<std::string, StageInfo>& registry() {
  static std::map<std::string, StageInfo> stages;  // function-local: safe across static initialisers
  return stages;
}
}  // namespace

void register_stage(StageInfo info) { registry()[info.name] = std::move(info); }

const StageInfo* find_stage(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<StageInfo> registered_stages() {
  std::vector<StageInfo> out;
  for (const auto& [name, info] : registry()) out.push_back(info);
  return out;
}

}  // namespace bertology
