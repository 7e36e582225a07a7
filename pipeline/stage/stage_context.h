// What a stage works with: its name and configuration, the cache entries it reads, its output
// folder and record, and its share of the work among the MPI ranks.
//
//   void run_example(StageContext& ctx) {
//     const ClarkParams& clark = clark_section().of(ctx.params);
//     const CacheEntry& entry = ctx.cache();               // recorded as input "cache"
//     StageOutput out = ctx.begin_output();                // inputs: entries + sections + run settings
//     if (out.up_to_date()) return;                        // the same inputs finished before
//     std::vector<double> sums(n);
//     ctx.for_my_share(reader.num_sequences(), [&](int64_t i) { ... sums ... });  // stop checks inside
//     ctx.mpi.allreduce_sum(sums);
//     out.write("table.csv", csv.str());                   // rank 0, atomically
//     out.finish({{"num_sequences", n}});                  // stage.json last
//   }
//
// Every rank runs the stage; collective calls (extract, for_my_share's callers' reductions,
// run_job_grid, begin_output) must be made by all ranks in the same order.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/stage/csv_table.h"
#include "pipeline/cache/cache_dir.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/mpi_context.h"
#include "pipeline/stage/stage_registry.h"
#include "pipeline/stage/stage_table.h"

namespace bertology {

class StageOutput;

/// An extraction a stage asks for, recorded in survey mode (StageContext::start_survey).
struct SurveyedRequest {
  std::string stage, label;  ///< who asks, and the stage's name for the request ("test corpus")
  Params params;             ///< the variant the stage would extract
};
/// Thrown in survey mode where a stage would read data or write output: its survey ends there.
struct SurveyEnd {};

class StageContext {
 public:
  /// `cache` is the run's complete entry (empty for stages that do not need it).
  StageContext(const StageInfo& info, const Params& params, const CacheEntry& cache, const MpiContext& mpi,
               std::ostream& out);

  const Params& params;
  const MpiContext& mpi;
  std::ostream& out;  ///< the run's report stream; write to it from rank 0 (or say which rank speaks)

  /// Survey mode (campaign planning): extract() records its request in `log` and returns an empty
  /// entry instead of extracting; cache() returns the empty entry; reading another stage's output,
  /// begin_output and the work-split calls throw SurveyEnd. corpus_file() still writes (collective):
  /// every rank surveys alike. Requests a stage makes after its first read are not surveyed.
  void start_survey(std::vector<SurveyedRequest>* log) { survey_ = log; }
  bool surveying() const { return survey_ != nullptr; }

  const std::string& name() const { return info_.name; }
  const StageInfo& info() const { return info_; }

  // ---- Inputs: every entry and table read through these is recorded in stage.json's inputs.

  /// The run's cache entry (corpus.path as extracted), recorded as input "cache". InputError when
  /// the stage was registered with needs_cache = false.
  const CacheEntry& cache();
  /// Extracts (or reuses) the entry of `variant` on every rank (collective) and records it as input
  /// `label`; `label` also names the request in the log ("sentence pairs", "test corpus").
  /// Throws StopRequested after a stop signal (the entry resumes on the next run).
  CacheEntry extract(const std::string& label, const Params& variant);
  /// A corpus the stage builds from its inputs (documents, derived sentences), written once under
  /// <cache.dir>/corpora/<stem>-<sha256 prefix of content><extension> so that its cache entries are
  /// keyed and shared like any corpus. Rank 0 writes it; every rank gets the path (collective).
  std::string corpus_file(const std::string& stem, const std::string& extension, const std::string& content) const;
  /// Reads a table another stage wrote (rank 0 only makes sense for reports, but any rank may
  /// read) and records the digest of that stage's stage.json. InputError naming the file when it
  /// is missing, malformed or lacks a declared column.
  CsvFile read_table(const StageTable& table);
  /// A JSON file another stage wrote, declared as a StageTable without columns (recorded like
  /// read_table). InputError naming the file when the stage has not run or the file is malformed.
  nlohmann::json read_json(const StageTable& file);
  /// The stage.json of `stage` (recorded like read_table), or null JSON when that stage has not
  /// run for this model.
  nlohmann::json read_record(const std::string& stage);
  /// Whether `stage` has a finished record for this model (recorded: a report changes when the
  /// stage runs for the first time). After begin_output, reads are allowed only of stages whose
  /// record was read before (InternalError otherwise): call stage_ran for each first.
  bool stage_ran(const std::string& stage);

  // ---- Output.

  /// <study.output_dir>/<model folder name>: where every stage of this run writes.
  std::string model_dir() const;
  /// model_dir()/<stage name>.
  std::string output_dir() const;
  /// Starts the stage's output record (collective). Its inputs: the stage name and bertology's
  /// version, the entries and tables read so far (by label), the values of the stage's config
  /// sections, the run settings results may depend on (runtime.seed, model.threads/device/dtype),
  /// and `extra` (digests of datasets read outside the cache, format versions).
  StageOutput begin_output(nlohmann::json extra = nlohmann::json::object());

  // ---- Work split over ranks. Item i belongs to rank i mod size, whatever the item.

  /// This rank's items of [0, n), ascending.
  std::vector<int64_t> my_share(int64_t n) const;
  /// Calls work(i) for this rank's items of [0, n), checking for a stop signal before each
  /// (StopRequested). The caller reduces what work accumulated.
  void for_my_share(int64_t n, const std::function<void(int64_t)>& work) const;
  /// A grid of independent jobs (task x layer x seed trainings): runs run(j, row) for this rank's
  /// jobs j of [0, jobs), row = `width` zeros to fill; returns the [jobs, width] table of every
  /// rank's rows (collective), the same on every rank whatever the rank count.
  std::vector<double> run_job_grid(int64_t jobs, int64_t width, const std::function<void(int64_t, double*)>& run) const;

 private:
  const StageInfo& info_;
  const CacheEntry& cache_;
  nlohmann::json read_inputs_ = nlohmann::json::object();  ///< label -> entry name or record digest
  bool output_begun_ = false;
  std::vector<SurveyedRequest>* survey_ = nullptr;
};

/// How stage.json inputs name a cache request: its key digest prefix (whichever entry serves it)
/// and its read limit, or the directory name of an entry opened by directory.
std::string entry_name(const CacheEntry& entry);

/// Mean and sample standard deviation (n - 1; 0 for one value).
struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(const std::vector<double>& values);

}  // namespace bertology
