#include "pipeline/stage/run_stages.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/model/bert_config.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/files.h"
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

namespace {

/// <model output dir>/model.json: which model the stage folders beside it describe, and its depth,
/// for `bertology compare` (relative depth = layer / num_layers). Rank 0; nothing when the
/// model folder has no config.json.
void write_model_record(const Params& params, const MpiContext& mpi) {
  namespace fs = std::filesystem;
  const fs::path config = fs::path(params.model.path) / "config.json";
  if (mpi.rank() != 0 || params.stages.empty() || !fs::exists(config)) return;
  const BertConfig cfg = BertConfig::from_json_file(config.string());
  const nlohmann::json record = {{"model", params.model.path}, {"num_layers", cfg.num_hidden_layers},
                                 {"num_heads", cfg.num_attention_heads}, {"hidden_size", cfg.hidden_size}};
  fs::create_directories(model_output_dir(params));
  write_file_atomic((fs::path(model_output_dir(params)) / "model.json").string(), record.dump(1) + "\n");
}

}  // namespace

void run_stages(const Params& params, const CacheEntry& entry, const MpiContext& mpi, std::ostream& out) {
  check_stage_names(params.stages);
  write_model_record(params, mpi);
  // Where streamed probes may copy a layer they re-read (CacheReader::set_row_scratch_dir).
  CacheReader::set_row_scratch_dir(!params.runtime.row_scratch          ? std::string()
                                   : params.runtime.scratch_dir.empty() ? CacheReader::default_row_scratch_dir()
                                                                        : params.runtime.scratch_dir);
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
      out << "stage " << name << ": " << fixed(seconds, 2) << " s, peak memory " << human_bytes(double(peak_rss_bytes()))
          << " (rank 0)\n" << std::flush;
  }
  // The last lines say where to look: the report and the viewer page, when the stages wrote them.
  if (mpi.rank() == 0 && !params.stages.empty()) {
    const std::filesystem::path dir = model_output_dir(params);
    out << "results: " << dir.string() << "\n";
    for (const char* file : {"report.md", "view.html"})
      if (std::filesystem::exists(dir / file)) out << "  " << (dir / file).string() << "\n";
    out << std::flush;
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
