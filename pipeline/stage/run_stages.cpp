#include "pipeline/stage/run_stages.h"

#include <chrono>
#include <ostream>
#include <sstream>

#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/util/error.h"
#include "pipeline/util/heap_policy.h"
#include "pipeline/util/human_bytes.h"
#include "pipeline/util/peak_memory.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

void check_stage_names(const std::vector<std::string>& stages) {
  for (const auto& name : stages)
    if (!find_stage(name)) {
      std::string known;
      for (const auto& s : registered_stages()) known += (known.empty() ? "" : ", ") + s.name;
      throw InputError(cat("stages: unknown stage '", name, "' (registered: ", known.empty() ? "none yet" : known, ")"));
    }
}

bool stages_need_cache(const std::vector<std::string>& stages) {
  if (stages.empty()) return true;
  for (const auto& name : stages) {
    const StageInfo* stage = find_stage(name);
    if (!stage || stage->needs_cache) return true;
  }
  return false;
}

void run_stages(const Params& params, const CacheEntry& entry, const MpiContext& mpi, std::ostream& out) {
  check_stage_names(params.stages);
  for (const auto& name : params.stages) {
    StageContext context(*find_stage(name), params, entry, mpi, out);
    // Each stage's own peak (docs/scale.md, scripts/bench/scale.sh read this line), from the
    // process as it stands: freed heap of earlier stages given back, its resident set the base of
    // the stage's memory budget.
    release_freed_heap();
    mark_stage_start();
    reset_peak_rss();
    const auto start = std::chrono::steady_clock::now();
    find_stage(name)->run(context);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (mpi.rank() == 0)
      out << "stage " << name << ": " << fixed(seconds, 1) << " s, peak memory " << human_bytes(double(peak_rss_bytes()))
          << " (rank 0)\n" << std::flush;
  }
}

std::vector<SurveyedRequest> survey_stages(const Params& params, const MpiContext& mpi) {
  check_stage_names(params.stages);
  std::vector<SurveyedRequest> requests;
  std::ostringstream quiet;
  const CacheEntry none;
  for (const auto& name : params.stages) {
    StageContext context(*find_stage(name), params, none, mpi, quiet);
    context.start_survey(&requests);
    try {
      find_stage(name)->run(context);
    } catch (const SurveyEnd&) {
    } catch (const StopRequested&) {
      throw;
    } catch (const std::exception&) {
      // The stage failed on the empty entry or on its own inputs; the real run reports it.
    }
  }
  return requests;
}

}  // namespace bertology
