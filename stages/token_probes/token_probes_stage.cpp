// Stage `token_probes`: Tenney-style probes of the word vectors of every layer for CoNLL-U
// annotations — UPOS, XPOS, a word's dependency relation, and the relation of an arc from the
// concatenated head and dependent vectors. Files: docs/probing.md.
#include <map>
#include <ostream>
#include <set>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probe_trainer.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/stage/seed_tables.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"
#include "pipeline/probe/probe_entries.h"
#include "pipeline/probe/token_tasks.h"

namespace bertology {
namespace {

void run_token_probes(StageContext& ctx) {
  const Params& p = ctx.params;
  const ProbeParams& probe = probe_section().of(p);
  BTL_REQUIRE(!probe.tasks.empty(), "token_probes: probe.tasks is empty");
  for (const auto& t : probe.tasks) parse_token_task(t);  // fail early on a typo
  ProbeEntries entries(ctx);
  const ProbeOptions base = probe_options(p);
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  set_torch_threads(p.model.threads);

  entries.open();
  const std::vector<int64_t> layers = probe_layers(p, entries.train());
  const TokenSplits& splits = entries.splits();

  const int64_t T = static_cast<int64_t>(probe.tasks.size()), Ly = static_cast<int64_t>(layers.size()), S = probe.seeds;
  const int64_t hold = probe_hold_bytes(p, "token_probes", entries.train(), entries.test(), 1);
  // Row of a job: test correct, test count, dev correct, dev count, epochs.
  const auto table = ctx.run_job_grid(T * Ly * S, 5, [&](int64_t j, double* row) {
    // Layer-major job order (consecutive jobs of a rank read the same layer's chunks).
    const int64_t l = j / (T * S), t = (j / S) % T, seed = j % S;
    const auto task = parse_token_task(probe.tasks[static_cast<size_t>(t)]);
    const int64_t layer = layers[static_cast<size_t>(l)];
    const TaskSplits data = task_splits(task, splits, {layer});
    ProbeOptions o = base;
    o.num_classes = static_cast<int64_t>(data.label_names.size());
    o.seed = static_cast<uint64_t>(p.runtime.seed + seed);
    ProbeReads reads;
    const ProbeResult r = train_probe(*data.train, *data.dev, *data.test, o, hold, &stop_requested, &reads);
    row[0] = static_cast<double>(r.test.correct), row[1] = static_cast<double>(r.test.count);
    row[2] = static_cast<double>(r.dev.correct), row[3] = static_cast<double>(r.dev.count), row[4] = r.epochs;
    ctx.out << "token_probes: rank " << ctx.mpi.rank() << " " << token_task_name(task) << " layer " << layer
            << " seed " << seed << ": " << fixed(r.test.accuracy(), 2) << "%; "
            << reads.describe() << "\n"
            << std::flush;
  });

  SeedTables results({"task"});
  for (int64_t t = 0; t < T; ++t)
    for (int64_t l = 0; l < Ly; ++l) {
      std::vector<std::pair<double, double>> runs;
      for (int64_t s = 0; s < S; ++s) {
        const double* row = table.data() + ((l * T + t) * S + s) * 5;
        runs.emplace_back(row[0], row[1]);
      }
      results.add({probe.tasks[static_cast<size_t>(t)]}, layers[static_cast<size_t>(l)], runs);
    }
  out.write("results.csv", results.runs().str());
  out.write_table(kTokenProbeSummary, results.summary());
  nlohmann::json record = entries.split_sizes();
  record["layer_convention"] = kHiddenLayerColumn;
  out.finish(record);
  return;
}

const StageRegistration registration{
    {"token_probes", "Tenney-style probes per layer: UPOS, XPOS, dependency relation of a word and of an arc",
     run_token_probes, {&probe_section()}}};

}  // namespace
}  // namespace bertology
