#include "pipeline/analysis/stage_extraction.h"

#include <ostream>

#include "pipeline/cache/extract.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

CacheEntry extract_for_stage(const Params& variant, const StageContext& ctx, const std::string& why) {
  if (ctx.mpi.rank() == 0) ctx.out << why << ": activations of " << variant.corpus.path << "\n" << std::flush;
  const ExtractionOutcome outcome = run_extraction(variant, ctx.mpi, false, ctx.out);
  if (outcome.stopped) throw StopRequested{};
  BTL_REQUIRE(outcome.complete, outcome.entry.dir, ": extraction for ", why, " ended with unfinished chunks (see logs/)");
  return outcome.entry;
}

}  // namespace bertology
