// Stage `tenney_report`: report.md of the edge_probing stage beside Tenney et al.'s numbers (ACL
// 2019 Figure 1, ICLR 2019 Table 2), the per-task ordering by expected layer against the paper's
// "pipeline", run.json and the figures (scripts/plot_tenney2019.py). Reads only edge_probing's files.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>

#include "generated/tenney_plot_script.h"
#include "pipeline/analysis/figures.h"
#include "pipeline/analysis/study_report.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "stages/tenney_report/tenney2019_paper.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

std::string one(double v) { return std::isnan(v) ? "–" : fixed(v, 1); }
std::string two(double v) { return std::isnan(v) ? "–" : fixed(v, 2); }

const TenneyPaperRow* paper_row(const std::string& task) {
  for (const auto& r : kTenneyPaper)
    if (task == r.task) return &r;
  return nullptr;
}

void run_tenney_report(StageContext& ctx) {
  const std::string model_dir = ctx.model_dir();
  ctx.stage_ran("edge_probing");  // its record is the report's input; rank 0 reads the tables below
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  if (ctx.mpi.rank() != 0) return;
  const CsvFile tasks = ctx.read_table(kEdgeTasks);
  const CsvFile summary = ctx.read_table(kEdgeSummary);
  const nlohmann::json record = ctx.read_record("edge_probing");

  int layers = 0;
  std::map<std::string, std::map<int, std::pair<double, double>>> by_layer;  // task → layer → (mean, sd)
  for (size_t r = 0; r < summary.size(); ++r) {
    const int l = std::atoi(summary.at(r, "layer").c_str());
    layers = std::max(layers, l);
    by_layer[summary.at(r, "task")][l] = {summary.number(r, "mean"), summary.number(r, "sd")};
  }
  const int model_layers = std::max(layers, 1);
  std::ostringstream md;
  md << "# Edge probing report: " << ctx.params.study.name << "\n\nModel: `"
     << fs::path(ctx.params.model.path).filename().string()
     << "`. Tenney et al. (ICLR 2019) edge probes, layer analysis of Tenney, Das & Pavlick (ACL 2019). "
        "Layers: 0 = embedding output, l = transformer layer l. F1 in percent on the test sets (micro-F1 over "
        "(target, label) decisions; coreference: F1 of label 1, as jiant). Tables: `edge_probing/`; methods and "
        "deviations: docs/tenney2019.md.\n\n";

  md << "## Tasks\n\n| task | labels | train targets | test targets | F1 layer 0 | F1 mix (all layers) | "
        "Ē_s (center of gravity) | Ē_Δ (expected layer) | Ē_s / L | Ē_Δ / L |\n|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<std::pair<double, std::string>> order;
  for (size_t r = 0; r < tasks.size(); ++r) {
    const double cog = tasks.number(r, "center_of_gravity"), el = tasks.number(r, "expected_layer");
    md << "| " << tasks.at(r, "task") << " | " << tasks.at(r, "labels") << " | " << tasks.at(r, "train_targets")
       << " | " << tasks.at(r, "test_targets") << " | " << one(tasks.number(r, "f1_layer0")) << " | "
       << one(tasks.number(r, "f1_mix")) << " | " << two(cog) << " | " << two(el) << " | "
       << two(cog / model_layers) << " | " << two(el / model_layers) << " |\n";
    if (!std::isnan(el)) order.push_back({el, tasks.at(r, "task")});
  }
  md << "\nĒ_s = Σ_l l·s_l of the mix over all layers; Ē_Δ = Σ_l l·Δ_l / Σ_l Δ_l with Δ_l the dev-F1 gain of the "
        "mix over layers 0..l over 0..l−1 (not clipped, as Tenney's notebook). Divided by the model's L = "
     << model_layers << " to compare with the paper's 24-layer BERT-large.\n\n";

  md << "## Beside the papers\n\n| task | paper task | F1 layer 0 (ours / large / base lex) | F1 mix (ours / large / "
        "base) | Ē_Δ / L (ours / large) | Ē_s / L (ours / large) |\n|---|---|---|---|---|---|\n";
  for (size_t r = 0; r < tasks.size(); ++r) {
    const TenneyPaperRow* p = paper_row(tasks.at(r, "task"));
    if (!p) continue;
    md << "| " << tasks.at(r, "task") << " | " << p->paper_task << " | " << one(tasks.number(r, "f1_layer0")) << " / "
       << one(p->large_f1_layer0) << " / " << one(p->base_f1_lex) << " | " << one(tasks.number(r, "f1_mix")) << " / "
       << one(p->large_f1_mix) << " / " << one(p->base_f1_mix) << " | "
       << two(tasks.number(r, "expected_layer") / model_layers) << " / "
       << two(p->large_expected_layer / kTenneyPaperLayers) << " | "
       << two(tasks.number(r, "center_of_gravity") / model_layers) << " / "
       << two(p->large_center_of_gravity / kTenneyPaperLayers) << " |\n";
  }
  md << "\nPaper: ACL 2019 Figure 1 (BERT-large, OntoNotes; dependencies on UD EWT) and ICLR 2019 Table 2 "
        "(BERT-base, dev sets). Our data are small shipped samples (docs/tenney2019.md), so absolute F1 is not "
        "comparable; the ordering of the tasks is the paper's claim.\n\n";

  std::sort(order.begin(), order.end());
  md << "## The pipeline order\n\nTasks by expected layer (ours): ";
  for (size_t k = 0; k < order.size(); ++k) md << (k ? " < " : "") << order[k].second << " (" << two(order[k].first) << ")";
  std::vector<std::string> paper_order;
  for (const auto& p : kTenneyPaper)
    for (const auto& [el, task] : order)
      if (task == p.task) paper_order.push_back(task);
  std::vector<std::string> ours;
  for (const auto& [el, task] : order)
    if (paper_row(task)) ours.push_back(task);
  md << ".\nThe paper's order for these tasks: ";
  for (size_t k = 0; k < paper_order.size(); ++k) md << (k ? " < " : "") << paper_order[k];
  md << ". " << (ours == paper_order ? "Same order." : "The order differs.") << "\n\n";

  md << "## F1 per layer\n\nTest F1 of the probe on one layer, mean ± sd over seeds.\n\n| task |";
  for (int l = 0; l <= layers; ++l) md << " " << l << " |";
  md << "\n|---|";
  for (int l = 0; l <= layers; ++l) md << "---|";
  md << "\n";
  for (const auto& [task, values] : by_layer) {
    md << "| " << task << " |";
    for (int l = 0; l <= layers; ++l) {
      const auto it = values.find(l);
      md << " " << (it == values.end() ? "–" : one(it->second.first) + (it->second.second > 0.05 ? " ±" + one(it->second.second) : ""))
         << " |";
    }
    md << "\n";
  }
  md << "\n";
  const int status = run_figure_script(kTenneyPlotScript, model_dir, out.path("figures.log"));
  md << "## Figures\n\n";
  if (status != 0) md << "_Some figures could not be drawn; see tenney_report/figures.log._\n\n";
  md << figure_links(model_dir, {"tenney_layers.png", "edge_f1_by_layer.png"});
  write_report_files(model_dir, md.str(),
                     {{"study", ctx.params.study.name},
                      {"model", ctx.params.model.path},
                      {"corpus", ctx.params.corpus.path},
                      {"test_corpus", probe_section().of(ctx.params).test_corpus},
                      {"edge_tasks", record.value("tasks", nlohmann::json::object())}},
                     {"edge_probing"});
  out.finish({{"figures_exit_status", status}});
  ctx.out << "tenney_report: " << model_dir << "/report.md\n" << std::flush;
}

const StageRegistration registration{
    {"tenney_report", "Edge probing: report.md beside Tenney et al.'s numbers, the pipeline order, figures",
     run_tenney_report, {&probe_section()}}};

}  // namespace
}  // namespace bertology
