// The stage driver of `bertology run`: checks a config's stage list, then runs each stage in order
// with its StageContext.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/mpi_context.h"
#include "pipeline/stage/stage_context.h"

namespace bertology {

/// InputError "stages: unknown stage 'x' (registered: a, b, ...)" for the first unknown name;
/// called before hours of extraction, not after.
void check_stage_names(const std::vector<std::string>& stages);
/// Whether a run of `stages` needs the activation cache of corpus.path: true when the list is
/// empty (extraction only) or any stage needs it.
bool stages_need_cache(const std::vector<std::string>& stages);
/// Runs params.stages in order; `entry` is the run's complete cache entry (empty when no stage
/// needs it). Exceptions from a stage propagate (StopRequested included).
void run_stages(const Params& params, const CacheEntry& entry, const MpiContext& mpi, std::ostream& out);
/// The extractions params.stages ask for besides the run's entry (test corpora, derived models,
/// sentence pairs), found by running each stage in survey mode up to its first read
/// (StageContext::start_survey). Collective; StopRequested propagates, other errors end a stage's
/// survey (the real run reports them).
std::vector<SurveyedRequest> survey_stages(const Params& params, const MpiContext& mpi);

}  // namespace bertology
