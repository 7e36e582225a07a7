// Stage `si_report`: report.md of the Si et al. (2019) study — fine-tuning, Table 2 (attacks),
// Table 3 (un-answerable training) and the §5.3 correlations beside the paper's numbers
// (BERT-large, REPLICATION.md §3.5) — with run.json and the figures. Reads only the files of
// mcrc_finetune and mcrc_attacks.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>

#include "generated/si_plot_script.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/analysis/figures.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/study_report.h"
#include "pipeline/cache/cache_dir.h"
#include "pipeline/mcrc/mcrc_section.h"
#include "pipeline/mcrc/si_tables.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/util/error.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

const std::vector<std::string> kStages = {"mcrc_finetune", "mcrc_attacks"};

// The paper's accuracies (BERT-large), columns in this order.
const std::vector<std::string> kDatasets = {"MC160", "MC500", "RACE-M", "RACE-H", "MCScript", "MCScript2.0", "DREAM"};
const std::map<std::string, std::vector<double>>& paper_rows() {
  static const std::map<std::string, std::vector<double>> rows = {
      {"Random", {25.0, 25.0, 25.0, 25.0, 50.0, 50.0, 33.3}},
      {"Longest", {34.6, 35.0, 29.1, 29.2, 55.0, 58.7, 34.3}},
      {"original", {74.7, 69.3, 75.6, 64.7, 87.7, 83.9, 62.8}},
      {"AddSent2Pas-Shuffle", {32.1, 31.6, 41.0, 34.5, 36.2, 41.2, 42.0}},
      {"AddSent2Opt-Shuffle", {46.5, 43.4, 58.8, 50.3, 29.9, 25.5, 59.3}},
      {"AddAns2Opt-Shuffle", {73.5, 66.2, 65.1, 50.0, 75.4, 65.4, 76.1}},
      {"Sent2Opt-Shuffle", {37.1, 36.7, 48.3, 43.3, 14.5, 15.4, 30.6}},
      {"Ans2Opt-Shuffle", {68.8, 63.6, 49.1, 44.1, 55.6, 52.1, 41.2}},
      {"AddSent2Opt", {17.5, 19.1, 60.0, 49.6, 38.6, 34.4, 35.2}},
      {"AddAns2Opt", {47.9, 38.5, 60.1, 43.6, 79.2, 69.6, 47.9}},
      {"P-Shuffle", {60.2, 50.8, 63.2, 56.6, 86.5, 81.6, 46.8}},
      {"Q-Shuffle", {70.8, 62.9, 72.7, 62.5, 86.7, 83.6, 50.5}},
      {"PQ-Shuffle", {60.8, 49.2, 60.6, 55.0, 83.3, 77.0, 41.2}},
      {"P-Remove", {38.7, 38.7, 48.1, 51.5, 76.8, 73.6, 41.9}},
      {"Q-Remove", {61.7, 59.5, 57.7, 57.8, 84.5, 80.2, 62.2}},
      {"PQ-Remove", {31.8, 38.3, 41.9, 45.3, 72.5, 68.1, 41.5}}};
  return rows;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The paper's column for a dataset label ("mc160", "MC160", "mc160.train" all match MC160); -1 if none.
int paper_column(const std::string& name) {
  const std::string n = lower(name);
  int best = -1;
  size_t best_len = 0;
  for (size_t i = 0; i < kDatasets.size(); ++i) {
    const std::string d = lower(kDatasets[i]);
    if (n.rfind(d, 0) == 0 && d.size() > best_len && (n.size() == d.size() || !std::isalnum(static_cast<unsigned char>(n[d.size()])))) {
      best = static_cast<int>(i);
      best_len = d.size();
    }
  }
  return best;
}

std::string one(double v) { return std::isnan(v) ? "–" : fixed(v, 1); }
std::string signed_one(double v) { return std::isnan(v) ? "–" : (v > 0 ? "+" : "") + fixed(v, 1); }
double paper(const std::string& row, int column) {
  auto it = paper_rows().find(row);
  return column < 0 || it == paper_rows().end() ? NAN : it->second[static_cast<size_t>(column)];
}

void run_si_report(StageContext& ctx) {
  const Params& p = ctx.params;
  const McrcParams& mcrc = mcrc_section().of(p);
  const std::string model_dir = ctx.model_dir();
  const bool finetuned = ctx.stage_ran("mcrc_finetune"), attacked = ctx.stage_ran("mcrc_attacks");
  BTL_REQUIRE(finetuned, "si_report: ", model_dir, "/mcrc_finetune has no finished mcrc_finetune stage (list mcrc_finetune "
              "before si_report in stages:)");
  StageOutput out = ctx.begin_output();  // inputs: the records of both stages, read above
  if (out.up_to_date()) return;
  if (ctx.mpi.rank() != 0) return;
  const auto regimes = ctx.read_table(kFinetuneRegimes);
  const auto epochs = ctx.read_table(kFinetuneEpochs);
  const auto finetune = ctx.read_record("mcrc_finetune");
  const std::string dataset = regimes.at(0, "dataset");
  const int column = paper_column(dataset);
  const std::string paper_name = column >= 0 ? kDatasets[static_cast<size_t>(column)] : "";
  const std::string paper_head = column >= 0 ? cat("paper, ", paper_name, " (BERT-large)") : "paper";

  std::ostringstream md;
  md << "# Si et al. (2019) replication: " << p.study.name << "\n\n"
     << "Model: `" << fs::path(p.model.path).filename().string() << "`, fine-tuned on `" << dataset << "` ("
     << mcrc.format << "): " << mcrc.training.epochs << " epochs, " << mcrc.training.batch_size << " questions per step, lr "
     << mcrc.training.lr << " (AdamW, warm-up " << mcrc.training.warmup << ", weight decay " << mcrc.training.weight_decay << "), max length "
     << mcrc.max_length << ", dropout " << mcrc.dropout << ", seed " << p.runtime.seed << ". Best epoch by dev accuracy. "
     << "The paper fine-tunes BERT-large" << (column >= 0 ? "" : cat("; it has no column for `", dataset, "`")) << ". "
     << "Tables: the stage folders beside this file; methods: docs/si2019.md.\n\n";

  md << "## Fine-tuning\n\n| training set | dev | test | best epoch | training steps (s) | training tokens/s |\n|---|---|---|---|---|---|\n";
  for (size_t r = 0; r < regimes.size(); ++r)
    md << "| " << regimes.at(r, "regime") << " | " << one(regimes.number(r, "dev_accuracy")) << " | "
       << one(regimes.number(r, "test_accuracy")) << " | " << regimes.at(r, "best_epoch") << " | "
       << regimes.at(r, "train_seconds") << " | " << regimes.at(r, "train_tokens_per_s") << " |\n";
  md << "\nPer epoch (original training set):\n\n| epoch | train loss | dev accuracy |\n|---|---|---|\n";
  for (size_t r = 0; r < epochs.size(); ++r)
    if (epochs.at(r, "regime") == "original")
      md << "| " << epochs.at(r, "epoch") << " | " << epochs.at(r, "train_loss") << " | " << one(epochs.number(r, "dev_accuracy")) << " |\n";

  const double random = finetune.at("random_baseline").get<double>(), longest = finetune.at("longest_baseline").get<double>();
  if (attacked) {
    const auto attacks = ctx.read_table(kAttackResults);
    const auto correlations = ctx.read_table(kAttackCorrelations);
    md << "\n## Table 2: un-readable attacks (test accuracy, % change against the unattacked test set)\n\n"
       << "| | ours | ours change | " << paper_head << " | paper change | mean ShuffleDegree | option length change "
       << "| inputs with attack text cut | passages untruncated |\n"
       << "|---|---|---|---|---|---|---|---|---|\n"
       << "| Random | " << one(random) << " | | " << one(paper("Random", column)) << " | | | | | |\n";
    int64_t added_cut_total = 0;
    const double paper_original = paper("original", column);
    for (size_t r = 0; r < attacks.size(); ++r) {
      const std::string name = attacks.at(r, "attack");
      const double pa = paper(name, column);
      md << "| " << (name == "original" ? "no attack" : name) << " | " << one(attacks.number(r, "accuracy")) << " | "
         << (name == "original" ? "" : signed_one(attacks.number(r, "change_percent"))) << " | " << one(pa) << " | "
         << (name == "original" ? "" : signed_one(100.0 * (pa - paper_original) / paper_original)) << " | "
         << attacks.at(r, "mean_shuffle_degree") << " | "
         << (name == "original" ? "" : signed_one(attacks.number(r, "option_length_change_percent")) + " %") << " | "
         << (name == "original" ? "" : cat(attacks.at(r, "added_text_cut_inputs"), " / ", attacks.at(r, "added_text_inputs")))
         << " | " << one(attacks.number(r, "passage_untruncated_percent")) << " % |\n";
      if (name != "original") added_cut_total += static_cast<int64_t>(attacks.number(r, "added_text_cut_inputs"));
    }
    md << "\nInputs are truncated to max length " << mcrc.max_length << " longest-first, sparing the text an attack "
       << "wrote (the original passage, then the question, lose tokens first; docs/si2019.md). "
       << (added_cut_total == 0 ? std::string("No input lost any attack text.")
                                : cat(added_cut_total, " inputs lost some attack text (the attack's own text exceeds the "
                                                       "max length).")) << " \"passages untruncated\": inputs (one per "
       << "option) whose passage is whole.\n";
    md << "\n## §5.3 correlations\n\n| analysis | points | Pearson r | paper |\n|---|---|---|---|\n";
    for (size_t r = 0; r < correlations.size(); ++r)
      md << "| " << correlations.at(r, "analysis") << " | " << correlations.at(r, "points") << " | "
         << correlations.at(r, "pearson") << " | " << correlations.at(r, "paper") << " |\n";
    md << "\nQuestion groups: " << 5 << " groups of equal size by the quantity (mcrc_attacks/bins.csv); the paper "
       << "does not say how it grouped questions.\n";
  } else {
    md << "\n_mcrc_attacks did not run: no Table 2._\n";
  }

  md << "\n## Table 3: training on un-answerable data (test accuracy on the unmodified test set)\n\n"
     << "| training set | ours | " << paper_head << " |\n|---|---|---|\n"
     << "| Random | " << one(random) << " | " << one(paper("Random", column)) << " |\n"
     << "| Longest option | " << one(longest) << " | " << one(paper("Longest", column)) << " |\n";
  for (size_t r = 0; r < regimes.size(); ++r) {
    const std::string regime = regimes.at(r, "regime");
    md << "| " << (regime == "original" ? "original training set" : regime) << " | " << one(regimes.number(r, "test_accuracy"))
       << " | " << one(paper(regime, column)) << " |\n";
  }

  const int status = run_figure_script(kSiPlotScript, model_dir, out.path("figures.log"));
  md << "\n## Figures\n\n";
  if (status != 0) md << "_Some figures could not be drawn; see si_report/figures.log._\n\n";
  md << figure_links(model_dir, {"si_attacks.png", "si_unanswerable.png", "si_correlations.png"});
  write_report_files(model_dir, md.str(),
                     {{"study", p.study.name}, {"model", p.model.path}, {"dataset", dataset}, {"train", mcrc.train},
                      {"dev", mcrc.dev}, {"test", mcrc.test}, {"paper_column", paper_name}},
                     kStages);
  out.finish({{"figures_exit_status", status}, {"paper_column", paper_name}});
  ctx.out << "si_report: " << model_dir << "/report.md\n" << std::flush;
  return;
}

const StageRegistration registration{
    {"si_report", "Si et al. 2019: report.md with Tables 2 and 3 beside the paper's numbers, run.json, figures",
     run_si_report, {&mcrc_section()}, /*needs_cache=*/false}};

}  // namespace
}  // namespace bertology
