#include "pipeline/stage/stage_registry.h"

#include <map>

#include "pipeline/util/error.h"

namespace bertology {
namespace {
std::map<std::string, StageInfo>& registry() {
  static std::map<std::string, StageInfo> stages;  // function-local: safe across static initialisers
  return stages;
}
}  // namespace

void register_stage(StageInfo info) {
  if (info.name.empty() || info.run == nullptr)
    throw InternalError(cat("stage '", info.name, "': a stage needs a name and an entry point"));
  if (registry().count(info.name))
    throw InternalError(cat("stage '", info.name, "' is registered twice (two stages/ folders use the name?)"));
  for (const ConfigSectionBase* section : info.sections) register_section(*section);
  std::string name = info.name;
  registry().emplace(std::move(name), std::move(info));
}

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
