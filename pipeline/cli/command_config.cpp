#include "pipeline/cli/command_config.h"

#include <iostream>

#include "pipeline/config/config.h"

namespace bertology {

Params load_params(const ConfigArgs& args, std::string* effective_yaml) {
  const Config config = Config::load(args.files, args.sets);
  if (args.dump) {
    std::cout << config.dump() << std::flush;
    return params_from_config(config);
  }
  // Commands that reach this point open the model, so its folder must exist.
  config.check_paths({"model.path"});
  if (effective_yaml) *effective_yaml = config.dump();
  return params_from_config(config);
}

}  // namespace bertology
