// The `bertology` command line: a table of sub-commands and the pieces they share.
//
// Each command parses its own options with Boost.Program_options and returns an exit code.
// Exit codes: util/exit_codes.h (0 success, 1 internal error, 2 bad input, 3 corrupt cache,
// 75 stopped by a signal, requeue).
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <string>
#include <vector>

#include "pipeline/util/exit_codes.h"

namespace bertology {

/// One sub-command.
struct Command {
  const char* name;     ///< as typed: "encode"
  const char* summary;  ///< one line for `bertology --help`
  int (*run)(const std::vector<std::string>& args);  ///< args after the command name
};

/// All sub-commands, in help order.
const std::vector<Command>& commands();

/// Entry point used by main(): dispatches, prints errors as one line, maps them to exit codes.
int run_cli(int argc, char** argv);

/// Options every config-driven command accepts: CONFIG files, --set, --dump-config.
struct ConfigArgs {
  std::vector<std::string> files;  ///< YAML files, merged in order (later wins)
  std::vector<std::string> sets;   ///< "section.key=value" overrides, applied last
  bool dump = false;               ///< print the effective config and exit
};

/// Adds --set and --dump-config to `desc` (CONFIG files are positional and added by the command).
void add_config_options(boost::program_options::options_description& desc, ConfigArgs& args);

/// Parses `args` against `desc` (positional arguments go to `positional_name`); prints help and
/// returns false when --help was given. Unknown options throw InputError (exit 2).
bool parse_command_line(const std::string& command, const std::vector<std::string>& args,
                        const boost::program_options::options_description& desc,
                        const char* positional_name, const char* usage,
                        boost::program_options::variables_map& vm);

/// Input lines from --text values or an --input file (one item per line; a final newline does not
/// make an empty item). `origins` receives "FILE:LINE" or "--text #i" for error messages.
std::vector<std::string> read_input_lines(const std::vector<std::string>& texts, const std::string& input_file,
                                          std::vector<std::string>* origins);

/// Escapes a string for JSON output.
std::string json_quote(const std::string& s);

}  // namespace bertology
