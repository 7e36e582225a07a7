// Stage `clark_report`: report.md of the Clark et al. (2019) replication — our numbers beside the
// paper's — plus run.json (what ran on what) and the figures (python3 + matplotlib, when present).
// Reads only the other stages' output files, so it can be rerun alone.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>

#include "generated/clark_plot_script.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/analysis/figures.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/study_report.h"
#include "pipeline/cache/cache_dir.h"
#include "pipeline/analysis/clark_section.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/util/files.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"
#include "pipeline/analysis/clark2019_paper.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

const std::vector<std::string> kStages = {"attention_patterns", "dependency_heads",    "attention_probe",
                                          "coref_heads",        "attention_gradients", "head_clusters"};

/// A stage's declared tables, its stage.json and other files, read through the context (which
/// recorded the stage's record before the report's output began).
class StageFiles {
 public:
  StageFiles(StageContext& ctx, std::string stage) : ctx_(ctx), stage_(std::move(stage)) {}
  bool ran() const { return ctx_.stage_ran(stage_); }
  CsvTable table(const StageTable& spec) const { return ctx_.read_table(spec).csv; }
  nlohmann::json record() const { return ctx_.read_record(stage_); }
  nlohmann::json json(const StageTable& spec) const { return ctx_.read_json(spec); }

 private:
  StageContext& ctx_;
  std::string stage_;
};

/// Column accessor of a CsvTable row.
struct Row {
  const CsvTable& table;
  const std::vector<std::string>& cells;
  const std::string& origin;
  const std::string& operator[](const std::string& column) const { return cells[table.column(column, origin)]; }
  double number(const std::string& column) const { return std::atof((*this)[column].c_str()); }
};

std::string one_decimal(double v) { return std::isnan(v) ? "–" : fixed(v, 1); }

void patterns_section(const StageFiles& f, std::ostream& md) {
  md << "## 1. Surface-level patterns (paper §3, Figures 1, 2, 4)\n\n";
  if (!f.ran()) {
    md << "_Not run (add `attention_patterns` to `stages`)._\n\n";
    return;
  }
  const auto summary = f.json(kPatternSummary);
  md << "Inputs: " << summary.at("num_sequences").get<int64_t>()
     << " `[CLS] A [SEP] B [SEP]` pairs of consecutive sentences. Mean attention per layer (over heads and "
        "tokens); `to_next` = from token i to i+1, `to_prev` = from i to i−1.\n\n"
     << "| layer | to [CLS] | to [SEP] | to . , | to next | to prev | to self | entropy (nats) | [CLS] entropy |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  double last_cls_entropy = 0;
  for (const auto& layer : summary.at("layers")) {
    md << "| " << layer.at("layer").get<int>();
    for (const char* k : {"to_cls", "to_sep", "to_punct", "to_next", "to_prev", "to_self"})
      md << " | " << fixed(layer.at(k).get<double>(), 3);
    md << " | " << fixed(layer.at("entropy").get<double>(), 2) << " | " << fixed(layer.at("cls_entropy").get<double>(), 2)
       << " |\n";
    last_cls_entropy = layer.at("cls_entropy").get<double>();
  }
  md << "\n| measure | ours | paper (BERT-base, Wikipedia) |\n|---|---|---|\n"
     << "| heads with > 50% attention to the previous token | " << summary.at("heads_to_prev_over_half").size() << " ("
     << summary.at("heads_to_prev_over_half").dump() << ") | " << clark2019::kHeadsToPrev << " |\n"
     << "| heads with > 50% attention to the next token | " << summary.at("heads_to_next_over_half").size() << " ("
     << summary.at("heads_to_next_over_half").dump() << ") | " << clark2019::kHeadsToNext << " |\n"
     << "| uniform-attention entropy (mean log T) | " << fixed(summary.at("uniform_entropy").get<double>(), 2)
     << " | ≈ 4.5 (T ≈ 128) |\n"
     << "| [CLS] attention entropy, last layer | " << fixed(last_cls_entropy, 2) << " | "
     << clark2019::kLastLayerClsEntropy << " |\n\n";
}

void dependency_section(const StageFiles& f, std::ostream& md) {
  md << "## 2. Dependency heads (paper §4.2, Table 1)\n\n";
  if (!f.ran()) {
    md << "_Not run._\n\n";
    return;
  }
  const std::string origin = "dependency_heads/relations.csv";
  const CsvTable t = f.table(kDependencyRelations);
  const auto stage = f.record();
  const auto& clark = stage.at("inputs").at("config").at("clark");
  md << "Best head over both directions (ᵀ = head→dependent) and best fixed offset, per relation with at least "
     << clark.at("min_relation_count").get<int64_t>() << " occurrences; word-level attention from a split "
     << "word = " << clark.at("word_from").get<std::string>()
     << " of its pieces. Heads and baselines are scored alike, with the possessive rule (a `poss` dependent before "
        "`'s` is scored by the prediction for `'s`) "
     << (clark.value("possessive_rule", std::string("paper")) == "released"
             ? "as Clark's released notebook applies it (only when the dependent's own prediction is not the last word)"
             : "as the paper states it")
     << ". Paper: BERT-base on PTB-WSJ with Stanford "
        "Dependencies (SD); our labels are the corpus's, "
        "with the SD relation of the same arc where one exists (docs/clark2019.md).\n\n"
     << "| relation | SD | count | ours: head | acc | baseline (offset) | paper: head | acc | baseline (offset) |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& cells : t.rows()) {
    const Row r{t, cells, origin};
    md << "| " << r["relation"] << " | " << r["sd_relation"] << " | " << r["count"] << " | " << r["best_layer"] << "-"
       << r["best_head"] << (r["best_direction"] == "head_to_dep" ? "ᵀ" : "") << " | " << one_decimal(r.number("best_accuracy"))
       << " | " << one_decimal(r.number("baseline_accuracy")) << " (" << r["baseline_offset"] << ") |";
    bool found = false;
    for (const auto& p : clark2019::kTable1)
      if (!r["sd_relation"].empty() && r["sd_relation"] == p.relation) {
        md << " " << p.head << " | " << one_decimal(p.accuracy) << " | " << one_decimal(p.baseline) << " (" << p.offset << ") |\n";
        found = true;
      }
    if (!found) md << " | | |\n";
  }
  md << "\n";
}

void attention_probe_section(const StageFiles& f, std::ostream& md) {
  md << "## 3. Attention-based probing classifiers (paper §5, Table 3)\n\n";
  if (!f.ran()) {
    md << "_Not run._\n\n";
    return;
  }
  const std::string origin = "attention_probe/results.csv";
  const CsvTable t = f.table(kAttentionProbeResults);
  const auto stage = f.record();
  md << "UAS without punctuation; trained on " << stage.at("train_sentences").get<int64_t>() << " sentences, "
     << stage.at("inputs").at("config").at("clark").at("probe_epochs").get<int>() << " epoch(s), evaluated on " << stage.at("test_sentences").get<int64_t>()
     << " sentences. Word vectors: " << stage.at("word_vectors").get<std::string>()
     << " (paper: GloVe). Paper: PTB-WSJ, 1 epoch over ~40k training sentences. Punctuation = relation `punct` "
        "(Clark's rule). ROOT scores: "
     << (stage.at("inputs").at("config").at("clark").value("root_features", std::string("free")) == "released"
             ? "as Clark's released code (two global scalars times each map's weight, both directions)"
             : "free per-map weights on attention to [CLS]/[SEP] (`clark.root_features: free`)")
     << ". `attn_words` pairs each candidate with its own vector (the paper's formula; Clark's code uses the next "
        "word's, an off-by-one we do not copy; docs/clark2019.md).\n\n"
     << "| probe | ours | paper |\n|---|---|---|\n";
  for (const auto& cells : t.rows()) {
    const Row r{t, cells, origin};
    std::string paper = "–", name = r["probe"] + (r["model"] == "random_init" ? " (random-init model)" : "");
    for (const auto& p : clark2019::kTable3)
      if (r["probe"] == p.probe && r["model"] == p.model) paper = cat(p.paper_name, ": ", p.uas);
    md << "| " << name << " | " << one_decimal(r.number("uas")) << " | " << paper << " |\n";
  }
  md << "| (structural probe, Hewitt & Manning) | – | 80 UUAS |\n\n";
}

void coref_section(const StageFiles& f, std::ostream& md) {
  md << "## 4. Coreference (paper §4.3, Table 2)\n\n";
  if (!f.ran()) {
    md << "_Not run: set `clark.coref_corpus` (GUM-style CoNLL-U or CoNLL-2012 files such as LitBank)._\n\n";
    return;
  }
  const CsvTable heads = f.table(kCorefHeads), baselines = f.table(kCorefBaselines);
  const std::string ho = "coref_heads/heads.csv", bo = "coref_heads/baselines.csv";
  const auto stage = f.record();
  md << "Antecedent selection accuracy (%) on " << stage.value("num_documents", 0) << " documents cut to "
     << stage.value("max_length", 0) << " wordpieces (" << stage.value("num_queries", 0)
     << " mentions with an antecedent). Paper: CoNLL-2012, 128 tokens.\n\n"
     << "| system | all | pronoun | proper | nominal | paper: all | pronoun | proper | nominal |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  auto paper = [&](const std::string& system) {
    for (const auto& p : clark2019::kTable2)
      if (std::string(p.system).rfind(system, 0) == 0)
        return cat(one_decimal(p.all), " | ", one_decimal(p.pronoun), " | ", one_decimal(p.proper), " | ", one_decimal(p.nominal));
    return std::string("| | |");
  };
  for (const auto& cells : baselines.rows()) {
    const Row r{baselines, cells, bo};
    md << "| " << r["system"] << " | " << one_decimal(r.number("all")) << " | " << one_decimal(r.number("pronoun")) << " | "
       << one_decimal(r.number("proper")) << " | " << one_decimal(r.number("nominal")) << " | " << paper(r["system"]) << " |\n";
  }
  // The best head by `all`.
  const std::vector<std::string>* best = nullptr;
  for (const auto& cells : heads.rows())
    if (!best || Row{heads, cells, ho}.number("all") > Row{heads, *best, ho}.number("all")) best = &cells;
  if (best) {
    const Row r{heads, *best, ho};
    md << "| best head " << r["layer"] << "-" << r["head"] << " | " << one_decimal(r.number("all")) << " | "
       << one_decimal(r.number("pronoun")) << " | " << one_decimal(r.number("proper")) << " | "
       << one_decimal(r.number("nominal")) << " | " << paper("best_head") << " |\n";
  }
  md << "\n";
}

void gradients_section(const StageFiles& f, std::ostream& md) {
  md << "## 5. Gradient of the MLM loss with respect to attention (paper §3.2, Figure 3)\n\n";
  if (!f.ran()) {
    md << "_Not run: needs a checkpoint with its masked-LM head (`clark.gradient_model`); the default model, "
          "all-MiniLM-L6-v2, is a sentence encoder shipped without one._\n\n";
    return;
  }
  const CsvTable t = f.table(kAttentionGradients);
  const std::string origin = "attention_gradients/gradients.csv";
  md << "Mean |∂L/∂α| per layer (paper: from layer 5 on, attention to [SEP] has very small gradients).\n\n"
     << "| layer | to [SEP] | to . , | to other |\n|---|---|---|---|\n";
  for (const auto& cells : t.rows()) {
    const Row r{t, cells, origin};
    md << "| " << r["layer"] << " | " << r["to_sep"] << " | " << r["to_punct"] << " | " << r["to_other"] << " |\n";
  }
  md << "\n";
}

void clusters_section(const StageFiles& f, std::ostream& md) {
  md << "## 6. Head clusters (paper §6, Figure 6)\n\n";
  if (!f.ran()) {
    md << "_Not run._\n\n";
    return;
  }
  const CsvTable t = f.table(kHeadEmbedding);
  std::map<std::string, int> behaviours;
  for (const auto& cells : t.rows()) behaviours[Row{t, cells, "head_clusters/embedding.csv"}["behaviour"]] += 1;
  md << "Heads by behaviour (Clark's thresholds): ";
  bool first = true;
  for (const auto& [b, n] : behaviours) md << (first ? "" : ", ") << b << " " << n, first = false;
  md << ". Distances: Σ Jensen–Shannon divergence over tokens; 2-D classical MDS.\n\n";
}

std::string coref_names(const ClarkParams& clark) {
  if (clark.coref_corpus.empty()) return "not run";
  std::string names;
  for (const auto& path : clark.coref_corpus)
    names += (names.empty() ? "`" : ", `") + fs::path(path).lexically_normal().filename().string() + "`";
  return names;
}

/// What differs from the paper's setup, so that the numbers are read for what they are.
void setup_section(StageContext& ctx, std::ostream& md) {
  const Params& p = ctx.params;
  const CacheReader reader = CacheReader::open(ctx.cache());
  const bool ptb = reader.corpus().format == CorpusFormat::Ptb;
  md << "## Setup, and how it differs from the paper's\n\n"
     << "| | this run | paper |\n|---|---|---|\n"
     << "| model | `" << fs::path(p.model.path).filename().string() << "`, " << reader.num_layers() << " layers × "
     << reader.num_heads() << " heads | BERT-base uncased, 12 × 12 |\n"
     << "| surface patterns, clusters | pairs of consecutive corpus sentences, ≤ " << p.tokenizer.max_length
     << " pieces | 1000 Wikipedia segment pairs of up to 128 tokens |\n"
     << "| dependencies | " << fs::path(p.corpus.path).filename().string() << (ptb ? " (PTB → Stanford Dependencies)" : " (corpus labels)")
     << " | PTB-WSJ, Stanford Dependencies |\n"
     << "| probes: training / evaluation | " << fs::path(p.corpus.path).filename().string() << " / "
     << (clark_section().of(p).test_corpus.empty() ? "last 10% held out" : fs::path(clark_section().of(p).test_corpus).filename().string()) << ", "
     << clark_section().of(p).probe_epochs << " epoch(s), word vectors: "
     << (clark_section().of(p).word_vectors.empty() ? "the model's input embeddings" : fs::path(clark_section().of(p).word_vectors).filename().string())
     << " | PTB train / dev, 1 epoch, GloVe 100-d |\n"
     << "| coreference | " << coref_names(clark_section().of(p))
     << " | CoNLL-2012 (OntoNotes) |\n\n"
     << "Head numbers of different models are not comparable: compare which behaviours occur and how well the "
        "best head does against its baseline. "
     << (ptb ? "" : "UD relations differ from Stanford Dependencies (e.g. UD makes the noun, not the preposition, "
                    "the head of a prepositional phrase, so `prep`/`pobj` have no UD counterpart); the SD column "
                    "names only arcs that mean the same in both. ")
     << "Shorter inputs than Clark's lower the uniform-attention entropy (mean log T).\n\n";
}

void run_clark_report(StageContext& ctx) {
  const std::string model_dir = ctx.model_dir();
  const ClarkParams& clark = clark_section().of(ctx.params);
  const CacheEntry& entry = ctx.cache();
  for (const auto& stage : kStages) ctx.stage_ran(stage);  // the report's inputs: their records
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  if (ctx.mpi.rank() != 0) return;

  std::ostringstream md;
  md << "# Clark et al. (2019), \"What Does BERT Look At?\" — replication report\n\n"
     << "Model: `" << fs::path(ctx.params.model.path).filename().string() << "`; corpus: `"
     << fs::path(ctx.params.corpus.path).filename().string() << "`"
     << (clark.test_corpus.empty() ? "" : cat("; test corpus: `", fs::path(clark.test_corpus).filename().string(), "`"))
     << ". Heads are 1-based `layer-head` as in the paper. Tables: the stage folders beside this file; "
        "run metadata: `run.json`; algorithms and choices: docs/clark2019.md.\n\n";
  setup_section(ctx, md);
  patterns_section(StageFiles(ctx, "attention_patterns"), md);
  dependency_section(StageFiles(ctx, "dependency_heads"), md);
  attention_probe_section(StageFiles(ctx, "attention_probe"), md);
  coref_section(StageFiles(ctx, "coref_heads"), md);
  gradients_section(StageFiles(ctx, "attention_gradients"), md);
  clusters_section(StageFiles(ctx, "head_clusters"), md);

  // Figures: the plotting script is compiled into bertology; it needs python3 with matplotlib.
  const int status = run_figure_script(kClarkPlotScript, model_dir, out.path("figures.log"));
  md << "## Figures\n\n";
  if (status != 0) {
    md << "_Some figures could not be drawn (python3 with matplotlib and numpy is needed: "
          "`apt-get install python3-matplotlib`); see clark_report/figures.log._\n\n";
    ctx.out << "clark_report: figures failed (see " << out.path("figures.log") << ")\n";
  }
  md << figure_links(model_dir, {"fig1_special_tokens.png", "fig2_positional.png", "fig3_gradients.png",
                                 "fig4_entropy.png", "fig5_dependency_heads.png", "fig6_head_clusters.png"});
  write_report_files(model_dir, md.str(),
                     {{"study", ctx.params.study.name},
                      {"model", ctx.params.model.path},
                      {"corpus", ctx.params.corpus.path},
                      {"test_corpus", clark.test_corpus},
                      {"coref_corpus", clark.coref_corpus},
                      {"cache_entry", entry.dir}},
                     kStages);
  out.finish({{"figures_exit_status", status}});
  ctx.out << "clark_report: " << model_dir << "/report.md\n" << std::flush;
}

const StageRegistration registration{
    {"clark_report", "Clark et al. 2019: report.md beside the paper's numbers, run.json, figures", run_clark_report, {&clark_section()}}};

}  // namespace
}  // namespace bertology
