// Stage `quickstart_report`: the README's main job ends in something to read and something to
// look at. report.md of the light stages the quickstart runs (attention_patterns,
// dependency_heads, token_probes, attention_view: whichever ran), with the Clark and probing
// figures of those stages and a pointer to view.html. Reads only the other stages' files.
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>

#include "generated/clark_plot_script.h"
#include "generated/probing_plot_script.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/analysis/figures.h"
#include "pipeline/analysis/study_report.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

const std::vector<std::string> kStages = {"attention_patterns", "dependency_heads", "token_probes", "attention_view"};

void patterns_part(const CsvFile& t, std::ostream& md) {
  // Layer means over heads of the share of attention to [CLS], [SEP], punctuation, and the entropy.
  std::map<int, std::vector<double>> sums;  // layer -> to_cls, to_sep, to_punct, entropy, heads
  for (size_t r = 0; r < t.size(); ++r) {
    auto& s = sums[static_cast<int>(t.number(r, "layer"))];
    s.resize(5, 0.0);
    s[0] += t.number(r, "to_cls"), s[1] += t.number(r, "to_sep"), s[2] += t.number(r, "to_punct");
    s[3] += t.number(r, "entropy"), s[4] += 1;
  }
  md << "## Where the heads attend (attention_patterns)\n\nMean over the heads of each layer of the share of "
        "attention every token gives to [CLS], to [SEP] and to punctuation, and of the attention's entropy "
        "(Clark et al. 2019, Figures 2 and 4).\n\n| layer | to [CLS] | to [SEP] | to punctuation | entropy (nats) |\n"
        "|---|---|---|---|---|\n";
  for (const auto& [layer, s] : sums)
    md << "| " << layer << " | " << fixed(s[0] / s[4], 3) << " | " << fixed(s[1] / s[4], 3) << " | "
       << fixed(s[2] / s[4], 3) << " | " << fixed(s[3] / s[4], 2) << " |\n";
  md << "\n";
}

void dependency_part(const CsvFile& t, std::ostream& md) {
  md << "## Heads that find dependency relations (dependency_heads)\n\nThe most frequent relations: the single "
        "attention head whose most-attended word is the gold head most often, beside the best fixed-offset "
        "baseline (Clark et al. 2019, Table 1; layer-head 1-based).\n\n"
        "| relation | arcs | best head | accuracy % | best offset | baseline % |\n|---|---|---|---|---|---|\n";
  std::vector<std::pair<double, size_t>> rows;
  for (size_t r = 0; r < t.size(); ++r) rows.push_back({-t.number(r, "count"), r});
  std::sort(rows.begin(), rows.end());
  for (size_t k = 0; k < rows.size() && k < 10; ++k) {
    const size_t r = rows[k].second;
    md << "| " << t.at(r, "relation") << " | " << t.at(r, "count") << " | " << t.at(r, "best_layer") << "-"
       << t.at(r, "best_head") << " | " << fixed(t.number(r, "best_accuracy"), 1) << " | " << t.at(r, "baseline_offset")
       << " | " << fixed(t.number(r, "baseline_accuracy"), 1) << " |\n";
  }
  md << "\n";
}

void token_part(const CsvFile& t, std::ostream& md) {
  md << "## What each layer knows (token_probes)\n\nAccuracy (%) of a linear probe per layer (0 = embeddings) on "
        "held-out sentences, one seed.\n\n";
  std::map<std::string, std::vector<std::pair<std::string, double>>> tasks;
  for (size_t r = 0; r < t.size(); ++r) tasks[t.at(r, "task")].push_back({t.at(r, "layer"), t.number(r, "mean")});
  for (const auto& [task, layers] : tasks) {
    md << "| " << task << " |";
    for (const auto& [layer, v] : layers) md << " " << layer << " |";
    md << "\n|---|";
    for (size_t k = 0; k < layers.size(); ++k) md << "---|";
    md << "\n| accuracy |";
    for (const auto& [layer, v] : layers) md << " " << fixed(v, 1) << " |";
    md << "\n\n";
  }
}

void run_quickstart_report(StageContext& ctx) {
  const std::string model_dir = ctx.model_dir();
  std::map<std::string, bool> ran;
  for (const auto& stage : kStages) ran[stage] = ctx.stage_ran(stage);
  std::unique_ptr<CsvFile> patterns, relations, tokens;
  if (ran["attention_patterns"]) patterns = std::make_unique<CsvFile>(ctx.read_table(kAttentionPatterns));
  if (ran["dependency_heads"]) relations = std::make_unique<CsvFile>(ctx.read_table(kDependencyRelations));
  if (ran["token_probes"]) tokens = std::make_unique<CsvFile>(ctx.read_table(kTokenProbeSummary));
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  if (ctx.mpi.rank() != 0) return;
  const std::string model = fs::path(ctx.params.model.path).filename().string();
  std::ostringstream md;
  md << "# Quickstart: " << model << "\n\nCorpus: `" << fs::path(ctx.params.corpus.path).filename().string()
     << "`. Every number below was measured by this run; the stage folders beside this file hold the full "
        "tables, `run.json` the run's metadata. The full replications: configs/studies/ (docs/).\n\n";
  if (ran["attention_view"])
    md << "**Look at it:** [view.html](view.html) (open it in a browser, offline): every layer × head of a few "
          "sentences as small maps; click one to see its lines between the words, with what the stages "
          "measured about that head; pick a gold relation to compare the head's choices with the treebank.\n\n";
  if (patterns) patterns_part(*patterns, md);
  if (relations) dependency_part(*relations, md);
  if (tokens) token_part(*tokens, md);
  const int clark_status = run_figure_script(kClarkPlotScript, model_dir, out.path("clark_figures.log"));
  const int probing_status = run_figure_script(kProbingPlotScript, model_dir, out.path("probing_figures.log"));
  md << "## Figures\n\n";
  if (clark_status != 0 || probing_status != 0)
    md << "_Some figures could not be drawn; see quickstart_report/*_figures.log._\n\n";
  md << figure_links(model_dir, {"fig1_special_tokens.png", "fig4_entropy.png", "fig5_dependency_heads.png",
                                 "token_probes_by_layer.png"});
  write_report_files(model_dir, md.str(),
                     {{"study", ctx.params.study.name}, {"model", ctx.params.model.path}, {"corpus", ctx.params.corpus.path}},
                     kStages);
  out.finish({{"figures_exit_status", clark_status != 0 ? clark_status : probing_status}});
  ctx.out << "quickstart_report: " << model_dir << "/report.md\n" << std::flush;
}

const StageRegistration registration{
    {"quickstart_report", "The quickstart's report.md: attention patterns, dependency heads, the POS probe, figures",
     run_quickstart_report, {}}};

}  // namespace
}  // namespace bertology
