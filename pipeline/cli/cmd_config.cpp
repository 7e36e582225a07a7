// bertology config: lists every config key with its type, default and meaning, or prints the
// effective merged config of the files given.
#include <boost/program_options.hpp>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/config/config.h"
#include "pipeline/config/schema.h"

namespace po = boost::program_options;

namespace bertology {

int cmd_config(const std::vector<std::string>& args) {
  ConfigArgs config_args;
  po::options_description desc("config options");
  desc.add_options()("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional)");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("config", args, desc, "config", "[CONFIG...] [--set KEY=VALUE ...] [--dump-config]", vm))
    return kExitOk;
  if (config_args.files.empty() && config_args.sets.empty() && !config_args.dump) {
    std::cout << describe_schema();
    return kExitOk;
  }
  // Validates (exit 2 with FILE:LINE:COLUMN on errors) and prints the merged result.
  std::cout << Config::load(config_args.files, config_args.sets).dump() << std::flush;
  return kExitOk;
}

}  // namespace bertology
