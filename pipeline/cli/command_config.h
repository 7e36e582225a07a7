// Turning a command's CONFIG files and --set overrides into typed parameters.
#pragma once

#include "pipeline/cli/command.h"
#include "pipeline/config/params.h"

namespace bertology {

/// Merges and validates the config (InputError on any problem); with --dump-config, prints the
/// effective config to stdout (the caller then exits). `effective_yaml`, when given, receives the
/// merged config as YAML (stored inside outputs).
/// `existing_paths`: path keys that must exist for this command (checked unless dumping).
Params load_params(const ConfigArgs& args, std::string* effective_yaml = nullptr,
                   const std::vector<std::string>& existing_paths = {"model.path"});

}  // namespace bertology
