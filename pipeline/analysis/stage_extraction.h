// Stages that need activations of another input than the run's main cache entry (pairs of
// sentences, a test corpus, documents, a random-init model) ask for them here: the same
// distributed, resumable, cached extraction as `bertology extract`, so a rerun reuses them.
#pragma once

#include <string>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/stage/stage_registry.h"

namespace bertology {

/// Extracts (or reuses) the cache entry of `variant` on every rank (a collective call) and
/// returns it. `why` names the request in the report ("attention_patterns: sentence pairs").
/// Throws StopRequested after a stop signal (the entry resumes on the next run).
CacheEntry extract_for_stage(const Params& variant, const StageContext& ctx, const std::string& why);

}  // namespace bertology
