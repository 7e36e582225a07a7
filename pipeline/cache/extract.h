// `bertology extract`: corpus -> plan -> cache entry, distributed over MPI ranks, resumable.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/mpi_context.h"

namespace bertology {

/// What an extraction did.
struct ExtractionOutcome {
  CacheEntry entry;               ///< the entry that holds (or would hold) the tensors
  std::string key_digest;
  bool reused_superset = false;   ///< an existing complete entry with a superset selection serves it
  int64_t chunks_total = 0;
  int64_t chunks_done_before = 0; ///< finished before this run (resume)
  int64_t chunks_computed = 0;    ///< by this rank
  bool stopped = false;           ///< a stop signal ended the run early (all ranks agree)
  bool complete = false;          ///< every chunk is finished
};

/// Runs (or, with `dry_run`, only plans and sizes) the extraction on every rank of `mpi`.
/// `out` receives rank 0's report and progress; per-rank logs go under <entry>/logs/.
ExtractionOutcome run_extraction(const Params& params, const MpiContext& mpi, bool dry_run, std::ostream& out);

}  // namespace bertology
