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

bool stages_need_cache(const std::vector<std::string>& stages) {
  if (stages.empty()) return true;
  for (const auto& name : stages) {
    const StageInfo* stage = find_stage(name);
    if (!stage || stage->needs_cache) return true;
  }
  return false;
}

}  // namespace bertology
