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

/// A corpus a stage builds from its inputs (documents, derived sentences), written once under
/// <cache.dir>/corpora/<stem>-<sha256 prefix of content><extension> so that its cache entries are
/// keyed and shared like any corpus. Rank 0 writes it; every rank gets the path (collective).
std::string stage_corpus_file(const StageContext& ctx, const std::string& stem, const std::string& extension,
                              const std::string& content);

}  // namespace bertology
