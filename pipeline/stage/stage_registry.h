// Analysis stages are registered by name; a config's `stages:` list selects them and
// `bertology run` calls them, in order, after extraction. Stages live under stages/<name>/ and
// register themselves with a static StageRegistration; they read the cache through pipeline/.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/mpi_context.h"

namespace bertology {

/// What a stage gets.
struct StageContext {
  const Params& params;
  const CacheEntry& cache;      ///< the complete cache entry extraction produced or reused
  const MpiContext& mpi;
  std::ostream& out;            ///< rank 0's report stream
};

/// A stage's entry point: returns an exit code (0 = success).
using StageFunction = int (*)(const StageContext&);

struct StageInfo {
  std::string name;
  std::string summary;
  StageFunction run = nullptr;
  /// Whether the stage reads the activation cache of corpus.path. A run whose stages all say no
  /// (fine-tuning stages read their own datasets) skips extraction and needs no corpus.path.
  bool needs_cache = true;
};

/// Adds a stage (called from static initialisers in stages/).
void register_stage(StageInfo info);
/// The stage called `name`, or nullptr.
const StageInfo* find_stage(const std::string& name);
/// Whether a run of `stages` needs the activation cache of corpus.path: true when the list is
/// empty (extraction only) or any stage needs it or is not registered.
bool stages_need_cache(const std::vector<std::string>& stages);
/// All registered stages, sorted by name.
std::vector<StageInfo> registered_stages();

/// Registers a stage at static-initialisation time: `static StageRegistration r{{"name", "...", fn}};`
struct StageRegistration {
  explicit StageRegistration(StageInfo info) { register_stage(std::move(info)); }
};

}  // namespace bertology
