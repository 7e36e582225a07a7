// `bertology extract`: corpus -> plan -> cache entry, distributed over MPI ranks, resumable.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cache/cache_key.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/mpi_context.h"

namespace bertology {

/// What an extraction did.
struct ExtractionOutcome {
  CacheEntry entry;               ///< the entry that holds (or would hold) the tensors
  std::string key_digest;
  bool reused_superset = false;   ///< an existing complete entry with a superset selection serves it
  int64_t hidden_sentences = 0;   ///< sentences stored but over the request's tokenizer.max_length (skip)
  int64_t chunks_total = 0;
  int64_t chunks_done_before = 0; ///< finished before this run (resume)
  int64_t chunks_computed = 0;    ///< by this rank
  bool stopped = false;           ///< a stop signal ended the run early (all ranks agree)
  bool complete = false;          ///< every chunk is finished
  CacheSelection selection;       ///< what the request asks for (merged with `also`, or the union it extracts)
  int64_t num_tokens = 0;         ///< wordpieces of the plan
  double expected_bytes = 0;      ///< of the datasets to write (0 when an existing entry serves)
};

/// The request's selection with its lists resolved against the model (empty list = all).
CacheSelection requested_selection(const Params& params);

/// Everything of a request that is part of the cache key's base, as text (paths absolute; the
/// truncation limit, not the skip limit, which is a read filter): requests with the same unit id
/// are served by one forward pass. Cheap: hashes nothing.
std::string extraction_unit_id(const Params& params);

/// Runs (or, with `dry_run`, only plans and sizes) the extraction on every rank of `mpi`.
/// `out` receives rank 0's report and progress; per-rank logs go under <entry>/logs/.
///
/// Which entry serves the request (outcome.entry, with the request's read limit and digest):
///  1. its own, when complete;
///  2. else any complete entry with the same base whose selection covers it (nothing computed);
///  3. else a new entry whose selection is the request's merged with `also` (a campaign's union of
///     its studies' needs, when given and compatible) and with every complete entry of the same
///     base, which it supersedes: one forward pass then serves all of them from here on.
/// input.overlong: skip stores every sequence up to the model's maximum length, whatever the
/// request's tokenizer.max_length; readers apply that limit (CacheEntry::read_max_length).
/// `quiet_dry_run`: a dry run fills the outcome without printing the chunk table (campaign plans).
ExtractionOutcome run_extraction(const Params& params, const MpiContext& mpi, bool dry_run, std::ostream& out,
                                 const CacheSelection* also = nullptr, bool quiet_dry_run = false);

}  // namespace bertology
