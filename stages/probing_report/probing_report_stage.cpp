// Stage `probing_report`: report.md of whichever probing stages ran (lin_probes,
// confusion_score, token_probes, structural_probe, scalar_mix), our numbers beside the papers',
// run.json and the figures. Reads only the other stages' files.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>

#include "generated/probing_plot_script.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/analysis/figures.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/study_report.h"
#include "pipeline/probe/lin_section.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

const std::vector<std::string> kStages = {"lin_probes", "confusion_score", "token_probes", "structural_probe",
                                          "scalar_mix"};

using Table = CsvFile;

std::string one(double v) { return std::isnan(v) ? "–" : fixed(v, 1); }

void lin_part(StageContext& ctx, std::ostream& md) {
  if (!ctx.stage_ran("lin_probes")) return;
  md << "## Lin et al. 2019: diagnostic classifiers per layer\n\n";
  const Table t = ctx.read_table(kLinSummary);
  // Per task and split: accuracy by layer, best layer.
  std::map<std::string, std::vector<std::pair<int, std::pair<double, double>>>> rows;
  std::vector<std::string> order;
  for (size_t r = 0; r < t.size(); ++r) {
    const std::string key = t.at(r, "task") + " / " + t.at(r, "split");
    if (!rows.count(key)) order.push_back(key);
    rows[key].push_back({std::atoi(t.at(r, "layer").c_str()), {t.number(r, "mean"), t.number(r, "sd")}});
  }
  if (order.empty()) return;
  md << "Accuracy (%) of the sentence-level prediction, mean ± sd over runs; layer 0 = embeddings.\n\n| task / split |";
  const auto& first = rows[order.front()];
  for (const auto& [layer, v] : first) md << " " << layer << " |";
  md << " best |\n|---|";
  for (size_t k = 0; k <= first.size(); ++k) md << "---|";
  md << "\n";
  for (const auto& key : order) {
    md << "| " << key << " |";
    int best_layer = 0;
    double best = -1;
    for (const auto& [layer, v] : rows[key]) {
      md << " " << one(v.first) << (v.second > 0.05 ? cat(" ±", one(v.second)) : "") << " |";
      if (v.first > best) best = v.first, best_layer = layer;
    }
    md << " " << best_layer << " |\n";
  }
  md << "\nPaper (BERT-base/large, Figures 2–4): main-auxiliary and subject-noun accuracy rise sharply in the "
        "first layers and peak around layer 5 before tapering, on the generalisation sets too (compound nouns "
        "generalise better with depth in BERT-base, possessives poorly); the N-th token is found best in the "
        "lowest layers and lost after about layer 4. `nth_N_nopos` is the same probe on the model with zeroed "
        "position embeddings: near chance shows the position information comes from them.\n\n";
  const auto record = ctx.read_record("lin_probes");
  md << "Possessive generalisation set (`subject_noun / gen_possessive`): "
     << record.at("inputs").value("possessive_set", std::string("synthesised")) << ".\n\n";
}

void confusion_part(StageContext& ctx, std::ostream& md) {
  if (!ctx.stage_ran("confusion_score")) return;
  md << "## Lin et al. 2019: attention confusion score (Table 2)\n\n";
  const Table t = ctx.read_table(kConfusionSummary);
  md << "CS = −log2 p(true antecedent) of the head-averaged attention from the verb / reflexive, mean over "
        "sentences and layers; the uniform reference is log2(number of candidate phrases). Lower = more "
        "attention to the true antecedent.\n\n| condition | ours | uniform | paper (BERT-base) | sentences |\n"
        "|---|---|---|---|---|\n";
  for (size_t r = 0; r < t.size(); ++r)
    md << "| " << t.at(r, "condition") << " | " << fixed(t.number(r, "mean_cs"), 2) << " | " << fixed(t.number(r, "uniform"), 2)
       << " | " << fixed(t.number(r, "paper"), 2) << " | " << t.at(r, "count") << " |\n";
  md << "\nThe paper's direction of effect: a distractor that mismatches in number or gender lowers the score "
        "(A2 < A1, A4 < A3, R2 < R1, R4 < R3, R8 lowest of R5–R8).\n\n";
}

void token_part(StageContext& ctx, std::ostream& md) {
  if (!ctx.stage_ran("token_probes")) return;
  md << "## Token probes per layer (Tenney-style)\n\n";
  const Table t = ctx.read_table(kTokenProbeSummary);
  std::map<std::string, std::vector<std::pair<int, double>>> rows;
  std::vector<std::string> order;
  for (size_t r = 0; r < t.size(); ++r) {
    if (!rows.count(t.at(r, "task"))) order.push_back(t.at(r, "task"));
    rows[t.at(r, "task")].push_back({std::atoi(t.at(r, "layer").c_str()), t.number(r, "mean")});
  }
  if (order.empty()) return;
  md << "Accuracy (%) on the test corpus, mean over runs.\n\n| task |";
  for (const auto& [layer, v] : rows[order.front()]) md << " " << layer << " |";
  md << "\n|---|";
  for (size_t k = 0; k < rows[order.front()].size(); ++k) md << "---|";
  md << "\n";
  for (const auto& task : order) {
    md << "| " << task << " |";
    for (const auto& [layer, v] : rows[task]) md << " " << one(v) << " |";
    md << "\n";
  }
  md << "\nPaper (Tenney et al. 2019a, BERT-base uncased, edge-probing F1 with a span MLP): POS 88.3 from the "
        "lexical layer, 96.5 with the mix of all layers; dependency labels 80.2 / 95.4.\n\n";
}

void structural_part(StageContext& ctx, std::ostream& md) {
  if (!ctx.stage_ran("structural_probe")) return;
  md << "## Structural probe (Hewitt & Manning 2019)\n\n";
  const Table t = ctx.read_table(kStructuralSummary);
  md << "| probe | layer | UUAS | DSpr | root % | NSpr |\n|---|---|---|---|---|---|\n";
  for (size_t r = 0; r < t.size(); ++r)
    md << "| " << t.at(r, "probe") << " | " << t.at(r, "layer") << " | " << one(t.number(r, "uuas")) << " | "
       << (std::isnan(t.number(r, "dspr")) || t.at(r, "dspr") == "nan" ? "–" : fixed(t.number(r, "dspr"), 3)) << " | "
       << (t.at(r, "root_accuracy") == "nan" ? "–" : one(t.number(r, "root_accuracy"))) << " | "
       << (t.at(r, "nspr") == "nan" ? "–" : fixed(t.number(r, "nspr"), 3)) << " |\n";
  const auto record = ctx.read_record("structural_probe");
  const auto& in = record.at("inputs").at("config").at("structural");
  md << "\nTraining as Hewitt's regimen: probe rank " << record.value("probe_rank", in.value("rank", 0))
     << ", Adam lr " << in.value("lr", 0.0) << " decayed ×" << in.value("lr_decay", 1.0)
     << " after each epoch without a dev-loss gain (ReduceLROnPlateau, patience 0), at most "
     << in.value("max_epochs", 0) << " epochs, early stop after " << in.value("patience", 0)
     << " epochs without a gain; punctuation (his seven XPOS tags) left out of UUAS and root accuracy.\n";
  md << "\nPaper (BERT-base, PTB-WSJ, Stanford Dependencies): peak UUAS ≈ 80 at layers 7–8 (BERT-large ≈ 82 at "
        "15–17), DSpr ≈ 0.85; Clark et al. cite 80 UUAS.\n\n";
}

void scalar_part(StageContext& ctx, std::ostream& md) {
  if (!ctx.stage_ran("scalar_mix")) return;
  md << "## Scalar mix and expected layer (Tenney, Das & Pavlick 2019)\n\n";
  const Table t = ctx.read_table(kScalarMixSummary);
  md << "| task | center of gravity Ē_s | expected layer Ē_Δ | accuracy, all layers | accuracy, layer 0 |\n"
        "|---|---|---|---|---|\n";
  for (size_t r = 0; r < t.size(); ++r)
    md << "| " << t.at(r, "task") << " | " << fixed(t.number(r, "center_of_gravity"), 2) << " | "
       << fixed(t.number(r, "expected_layer"), 2) << " | " << one(t.number(r, "accuracy_all_layers")) << " | "
       << one(t.number(r, "accuracy_layer0")) << " |\n";
  md << "\nPaper (BERT-large, 24 layers): POS Ē_Δ 3.39, Ē_s 11.68; dependencies 5.69 / 13.75 (BERT-base Ē_s for "
        "dependencies 6.55). Syntax is resolved early, so Ē_Δ < Ē_s: the mix leans on later layers than the "
        "ones that add the information.\n\n";
}

void run_probing_report(StageContext& ctx) {
  const std::string model_dir = ctx.model_dir();
  std::string missing;
  for (const auto& stage : kStages)
    if (!ctx.stage_ran(stage)) missing += (missing.empty() ? "" : ", ") + stage;
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  if (ctx.mpi.rank() != 0) return;
  std::ostringstream md;
  md << "# Probing report: " << ctx.params.study.name << "\n\nModel: `" << fs::path(ctx.params.model.path).filename().string()
     << "`. Layers: 0 = embedding output, l = transformer layer l (Lin's layer l). Tables: the stage folders "
        "beside this file; run metadata: `run.json`; methods: docs/probing.md.";
  md << (missing.empty() ? std::string() : cat(" Stages not in this study: ", missing, ".")) << "\n\n";
  lin_part(ctx, md);
  confusion_part(ctx, md);
  token_part(ctx, md);
  structural_part(ctx, md);
  scalar_part(ctx, md);
  const int status = run_figure_script(kProbingPlotScript, model_dir, out.path("figures.log"));
  md << "## Figures\n\n";
  if (status != 0) md << "_Some figures could not be drawn; see probing_report/figures.log._\n\n";
  md << figure_links(model_dir, {"lin_accuracy_by_layer.png", "confusion_by_layer.png", "token_probes_by_layer.png",
                                 "structural_by_layer.png", "scalar_mix_weights.png"});
  write_report_files(model_dir, md.str(),
                     {{"study", ctx.params.study.name},
                      {"model", ctx.params.model.path},
                      {"corpus", ctx.params.corpus.path},
                      {"test_corpus", probe_section().of(ctx.params).test_corpus},
                      {"lin_data_dir", lin_section().of(ctx.params).data_dir}},
                     kStages);
  out.finish({{"figures_exit_status", status}});
  ctx.out << "probing_report: " << model_dir << "/report.md\n" << std::flush;
}

const StageRegistration registration{
    {"probing_report", "Probing studies: report.md beside the papers' numbers, run.json, figures", run_probing_report,
     {&probe_section(), &lin_section()}}};

}  // namespace
}  // namespace bertology
