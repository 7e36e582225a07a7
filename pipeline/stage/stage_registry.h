// Analysis stages are registered by name; a config's `stages:` list selects them and
// `bertology run` runs them, in order, after extraction (run_stages.h). A stage lives in
// stages/<name>/, registers itself with a static StageRegistration, declares the config sections
// it reads, and works through its StageContext (stage_context.h). docs/writing-a-stage.md.
#pragma once

#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

namespace bertology {

class StageContext;

/// A stage's entry point. It throws on failure (InputError: bad input, one line naming the file
/// or key; StopRequested: a stop signal; anything else: internal), so there is no return code.
using StageFunction = void (*)(StageContext&);

struct StageInfo {
  std::string name;
  std::string summary;
  StageFunction run = nullptr;
  /// Config sections the stage reads (they join the schema, and their values are the stage's
  /// recorded configuration inputs). Pass the section accessor's result: {&clark_section()}.
  std::vector<const ConfigSectionBase*> sections;
  /// Whether the stage reads the activation cache of corpus.path. A run whose stages all say no
  /// (fine-tuning stages read their own datasets) skips extraction and needs no corpus.path.
  bool needs_cache = true;
};

/// Adds a stage and its sections (called from static initialisers in stages/). InternalError
/// when a stage of that name is already registered, or on an empty name or no entry point.
void register_stage(StageInfo info);
/// The stage called `name`, or nullptr.
const StageInfo* find_stage(const std::string& name);
/// All registered stages, sorted by name.
std::vector<StageInfo> registered_stages();

/// Registers a stage at static-initialisation time:
///   const StageRegistration registration{{"name", "summary", run_name, {&clark_section()}}};
struct StageRegistration {
  explicit StageRegistration(StageInfo info) { register_stage(std::move(info)); }
};

}  // namespace bertology
