// Stage `token_probes`: Tenney-style probes of the word vectors of every layer for CoNLL-U
// annotations — UPOS, XPOS, a word's dependency relation, and the relation of an arc from the
// concatenated head and dependent vectors. Files: docs/probing.md.
#include <map>
#include <ostream>
#include <set>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/csv_table.h"
#include "pipeline/analysis/job_grid.h"
#include "pipeline/analysis/stage_output.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/probe/probe_trainer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"
#include "pipeline/probe/probe_entries.h"
#include "pipeline/probe/token_tasks.h"

namespace bertology {
namespace {

int run_token_probes(const StageContext& ctx) {
  const Params& p = ctx.params;
  BTL_REQUIRE(!p.probe.tasks.empty(), "token_probes: probe.tasks is empty");
  for (const auto& t : p.probe.tasks) parse_token_task(t);  // fail early on a typo
  ProbeEntries entries(ctx, "token_probes");
  const ProbeOptions base = probe_options(p);
  nlohmann::json inputs = entries.inputs();
  inputs.update({{"tasks", p.probe.tasks}, {"options", probe_options_json(base)}, {"seeds", p.probe.seeds}, {"seed", p.runtime.seed},
                   {"layers", p.probe.layers}, {"dev_fraction", p.probe.dev_fraction}, {"threads", p.model.threads}});
  StageOutput out(ctx, "token_probes", inputs);
  if (out.up_to_date()) return 0;
  set_torch_threads(p.model.threads);

  entries.open();
  const std::vector<int64_t> layers = probe_layers(p, entries.train());
  const TokenSplits& splits = entries.splits();

  const int64_t T = static_cast<int64_t>(p.probe.tasks.size()), Ly = static_cast<int64_t>(layers.size()), S = p.probe.seeds;
  LayerCache layer_cache(entries.train(), entries.test());
  // Row of a job: test correct, test count, dev correct, dev count, epochs.
  const auto table = run_job_grid(ctx, T * Ly * S, 5, [&](int64_t j, double* row) {
    // Layer-major job order, so that consecutive jobs of a rank reuse the loaded layer.
    const int64_t l = j / (T * S), t = (j / S) % T, seed = j % S;
    const auto task = parse_token_task(p.probe.tasks[static_cast<size_t>(t)]);
    const int64_t layer = layers[static_cast<size_t>(l)];
    const TaskData data = task_data(task, splits, layer_cache, {layer});
    ProbeOptions o = base;
    o.num_classes = static_cast<int64_t>(data.label_names.size());
    o.seed = static_cast<uint64_t>(p.runtime.seed + seed);
    const ProbeResult r = train_probe(data.train, data.dev, data.test, o, &stop_requested);
    row[0] = static_cast<double>(r.test.correct), row[1] = static_cast<double>(r.test.count);
    row[2] = static_cast<double>(r.dev.correct), row[3] = static_cast<double>(r.dev.count), row[4] = r.epochs;
    ctx.out << "token_probes: rank " << ctx.mpi.rank() << " " << token_task_name(task) << " layer " << layer
            << " seed " << seed << ": " << fixed(r.test.accuracy(), 2) << "%\n" << std::flush;
  });

  CsvTable results({"task", "layer", "run", "correct", "count", "accuracy"});
  CsvTable summary({"task", "layer", "mean", "sd", "runs"});
  for (int64_t t = 0; t < T; ++t)
    for (int64_t l = 0; l < Ly; ++l) {
      std::vector<double> accuracies;
      for (int64_t s = 0; s < S; ++s) {
        const double* row = table.data() + ((l * T + t) * S + s) * 5;
        const double acc = row[1] > 0 ? 100.0 * row[0] / row[1] : 0.0;
        accuracies.push_back(acc);
        results.add({p.probe.tasks[static_cast<size_t>(t)], std::to_string(layers[static_cast<size_t>(l)]), std::to_string(s),
                     std::to_string(static_cast<int64_t>(row[0])), std::to_string(static_cast<int64_t>(row[1])), fixed(acc, 4)});
      }
      const MeanSd m = mean_sd(accuracies);
      summary.add({p.probe.tasks[static_cast<size_t>(t)], std::to_string(layers[static_cast<size_t>(l)]), fixed(m.mean, 4),
                   fixed(m.sd, 4), std::to_string(S)});
    }
  out.write("results.csv", results.str());
  out.write("summary.csv", summary.str());
  nlohmann::json record = entries.split_sizes();
  record["layer_convention"] = "0 = embeddings, l = transformer layer l";
  out.finish(record);
  return 0;
}

const StageRegistration registration{
    {"token_probes", "Tenney-style probes per layer: UPOS, XPOS, dependency relation of a word and of an arc",
     run_token_probes}};

}  // namespace
}  // namespace bertology
