// Stage `scalar_mix`: Tenney, Das & Pavlick (2019) — a probe on a learned scalar mix of all
// layers per task (mixing weights, center of gravity) and cumulative scoring over layers 0..l
// (Δ per layer, expected layer). Files: docs/probing.md.
#include <cmath>
#include <ostream>

#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/probe/probe_entries.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/probe/tree_metrics.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {
namespace {

void run_scalar_mix(StageContext& ctx) {
  const Params& p = ctx.params;
  const ProbeParams& probe = probe_section().of(p);
  for (const auto& t : probe.tasks) parse_token_task(t);
  ProbeEntries entries(ctx);
  const ProbeOptions base = probe_options(p);
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  set_torch_threads(p.model.threads);
  entries.open();
  // The stored layers are distinct and within 0..L, so L + 1 of them are all of them.
  BTL_REQUIRE(static_cast<int>(entries.train().layers().size()) == entries.train().num_layers() + 1,
              "scalar_mix: needs every hidden layer 0..L in the cache (leave extract.layers empty)");
  const int64_t L1 = entries.train().num_layers() + 1;
  const TokenSplits& splits = entries.splits();
  const int64_t hold = probe_hold_bytes(p, "scalar_mix", entries.train(), entries.test(), L1);
  const int64_t T = static_cast<int64_t>(probe.tasks.size());
  // Jobs per task: the mix over layers 0..l for l = 0..L (the last is the full mix).
  // Row: dev accuracy, test accuracy, then the L + 1 mixing weights (zeros past l).
  const int64_t width = 2 + L1;
  const auto table = ctx.run_job_grid(T * L1, width, [&](int64_t j, double* row) {
    const auto task = parse_token_task(probe.tasks[static_cast<size_t>(j / L1)]);
    const int64_t top = j % L1;
    std::vector<int64_t> which;
    for (int64_t l = 0; l <= top; ++l) which.push_back(l);
    const TaskSplits data = task_splits(task, splits, which);
    ProbeOptions o = base;
    o.num_classes = static_cast<int64_t>(data.label_names.size());
    o.mix_layers = top + 1;
    o.seed = static_cast<uint64_t>(p.runtime.seed);
    ProbeReads reads;
    const ProbeResult r = train_probe(*data.train, *data.dev, *data.test, o, hold, &stop_requested, &reads);
    row[0] = r.dev.accuracy();
    row[1] = r.test.accuracy();
    for (size_t m = 0; m < r.mix_weights.size(); ++m) row[2 + m] = r.mix_weights[m];
    ctx.out << "scalar_mix: rank " << ctx.mpi.rank() << " " << token_task_name(task) << " layers 0.." << top << ": "
            << fixed(r.test.accuracy(), 2) << "%; "
            << reads.describe() << "\n"
            << std::flush;
  });

  CsvTable weights({"task", "layer", "weight"}), cumulative({"task", "layer", "accuracy", "dev_accuracy", "delta"}),
      summary(kScalarMixSummary.columns);
  for (int64_t t = 0; t < T; ++t) {
    const std::string& name = probe.tasks[static_cast<size_t>(t)];
    const double* full = table.data() + (t * L1 + (L1 - 1)) * width;
    std::vector<double> w(full + 2, full + 2 + L1), dev_scores;
    for (int64_t l = 0; l < L1; ++l) weights.add({name, std::to_string(l), fixed(w[static_cast<size_t>(l)], 6)});
    for (int64_t l = 0; l < L1; ++l) {
      const double* row = table.data() + (t * L1 + l) * width;
      dev_scores.push_back(row[0]);
      const double delta = l == 0 ? 0.0 : row[0] - table[static_cast<size_t>((t * L1 + l - 1) * width)];
      cumulative.add({name, std::to_string(l), fixed(row[1], 4), fixed(row[0], 4), l == 0 ? "nan" : fixed(delta, 4)});
    }
    // Tenney scores the cumulative probes on dev (Δ from dev scores, as their notebook).
    summary.add({name, fixed(center_of_gravity(w), 4), fixed(expected_layer(dev_scores), 4), fixed(full[1], 4),
                 fixed(table[static_cast<size_t>(t * L1 * width + 1)], 4)});
  }
  out.write("weights.csv", weights.str());
  out.write("cumulative.csv", cumulative.str());
  out.write_table(kScalarMixSummary, summary);
  nlohmann::json record = entries.split_sizes();
  record["layers"] = L1;
  out.finish(record);
}

const StageRegistration registration{
    {"scalar_mix", "Tenney et al. 2019: scalar-mix weights, center of gravity, cumulative scoring and expected layer",
     run_scalar_mix, {&probe_section()}}};

}  // namespace
}  // namespace bertology
