#include "pipeline/cli/command_config.h"

#include <iostream>

#include "pipeline/config/config.h"

namespace bertology {

Params load_params(const ConfigArgs& args, std::string* effective_yaml,
                   const std::vector<std::string>& existing_paths) {
  const Config config = Config::load(args.files, args.sets);
  if (args.dump) {
    std::cout << config.dump() << std::flush;
    return params_from_config(config);
  }
  for (const auto& key : existing_paths)
    if (config.get_string(key).empty()) config.fail(key, "is required by this command (set it in a config file or with --set " + key + "=...)");
  if (!existing_paths.empty()) config.check_paths(existing_paths);
  if (effective_yaml) *effective_yaml = config.dump();
  return params_from_config(config);
}

}  // namespace bertology
