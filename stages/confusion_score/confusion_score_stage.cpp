// Stage `confusion_score`: Lin et al. (2019) §5, Table 2 — how much the attention from the
// agreeing verb or the reflexive prefers the true subject / antecedent over the distractor phrases,
// per layer, for agreement conditions A1–A4 and reflexive conditions R1–R8. docs/probing.md.
#include <cmath>
#include <filesystem>
#include <map>
#include <ostream>

#include "pipeline/analysis/word_attention_pass.h"
#include "pipeline/probe/lin_section.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"
#include "stages/confusion_score/confusion.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

/// Conditions and their files (REPLICATION.md §1.2), with the paper's mean score (BERT-base).
struct Condition {
  const char* name;
  std::vector<std::string> files;
  double paper;
};
const std::vector<Condition>& conditions() {
  static const std::vector<Condition> list = {
      {"A1", {"data_agr/agr.4", "data_agr/agr.5", "data_agr/agr.10", "data_agr/agr.11"}, 0.97},
      {"A2", {"data_agr/agr.6", "data_agr/agr.7", "data_agr/agr.8", "data_agr/agr.9"}, 0.93},
      {"A3", {"data_agr/agr.12", "data_agr/agr.13", "data_agr/agr.18", "data_agr/agr.19"}, 0.85},
      {"A4", {"data_agr/agr.14", "data_agr/agr.15", "data_agr/agr.16", "data_agr/agr.17"}, 0.81},
      {"R1", {"data_refl/refl.1"}, 1.01}, {"R2", {"data_refl/refl.2"}, 0.92}, {"R3", {"data_refl/refl.3"}, 0.99},
      {"R4", {"data_refl/refl.4"}, 0.89}, {"R5", {"data_refl/refl.5"}, 1.57}, {"R6", {"data_refl/refl.6"}, 1.52},
      {"R7", {"data_refl/refl.7"}, 1.49}, {"R8", {"data_refl/refl.8"}, 1.39}};
  return list;
}

void run_confusion_score(StageContext& ctx) {
  const Params& p = ctx.params;
  const LinParams& lin = lin_section().of(p);
  BTL_REQUIRE(!lin.data_dir.empty(), "confusion_score: set lin.data_dir (the Open Sesame data: data_agr/, data_refl/)");
  std::map<std::string, CacheEntry> entries;
  for (const auto& c : conditions())
    for (const auto& f : c.files) {
      const fs::path file = fs::path(lin.data_dir) / f;
      BTL_REQUIRE(fs::exists(file), "lin.data_dir: ", file.string(), ": no such file");
      // Lin's attention analysis: [CLS] sentence [SEP], every layer's attention.
      Params v = p;
      v.corpus.path = file.string();
      v.corpus.format = "open_sesame";
      v.corpus.max_sentences = lin.max_sentences_per_file;
      v.tokenizer.add_special_tokens = true;
      v.input.pairs = false;
      v.extract.layers = {0};
      v.extract.attention = true;
      v.extract.attention_layers = {};
      v.extract.attention_heads = {};
      v.extract.word_pooling = "none";
      entries[f] = ctx.extract(f, v);
    }
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;

  int L = 0;
  std::map<std::string, std::vector<double>> sums;    // condition -> per layer Σ CS
  std::map<std::string, std::vector<double>> counts;  // condition -> per layer sentences
  std::map<std::string, double> candidates;           // condition -> Σ log2(groups) (uniform reference)
  for (const auto& c : conditions()) {
    for (const auto& f : c.files) {
      const CacheReader reader = CacheReader::open(entries.at(f));
      L = reader.num_layers();
      const int H = reader.num_heads();
      auto& sum = sums[c.name];
      auto& count = counts[c.name];
      sum.resize(static_cast<size_t>(L), 0.0);
      count.resize(static_cast<size_t>(L), 0.0);
      std::vector<float> mean;
      word_attention_pass(reader, ctx.my_share(reader.num_sequences()), WordFrom::Mean,
                          [&](int64_t i, const std::vector<std::vector<float>>& words, int) {
        const auto seq = reader.sequence(i);
        const Sentence& s = reader.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
        const int n = static_cast<int>(s.words.size());
        BTL_REQUIRE(s.fields.count("target") && s.fields.count("subject"), s.origin,
                    ": expected sentence<TAB>target<TAB>subject<TAB>distractors");
        const int source = std::stoi(s.fields.at("target"));
        auto groups = index_groups(s.fields.at("subject"), s.origin);
        BTL_REQUIRE(groups.size() == 1, s.origin, ": the subject field should name one phrase");
        for (auto& g : index_groups(s.fields.count("distractors") ? s.fields.at("distractors") : "", s.origin))
          groups.push_back(std::move(g));
        for (const auto& g : groups)
          for (int w : g) BTL_REQUIRE(w < n, s.origin, ": word index ", w, " beyond the sentence");
        if (words.empty()) return;  // a word without pieces
        bool scored = false;
        for (int l = 0; l < L; ++l) {
          // A = mean over heads.
          mean.assign(static_cast<size_t>(n) * n, 0.f);
          for (int h = 0; h < H; ++h)
            for (int k = 0; k < n * n; ++k)
              mean[static_cast<size_t>(k)] += words[static_cast<size_t>(l)][static_cast<size_t>(h) * n * n + k] / H;
          const double cs = confusion_score(mean.data(), n, source, groups);
          if (std::isnan(cs)) continue;
          sum[static_cast<size_t>(l)] += cs;
          count[static_cast<size_t>(l)] += 1;
          if (l == 0) scored = true;
        }
        // The uniform reference is averaged over the sentences the layer-1 mean is over.
        if (scored) candidates[c.name] += std::log2(static_cast<double>(groups.size()));
      });
    }
  }
  std::vector<double> all;
  for (const auto& c : conditions()) {
    all.insert(all.end(), sums[c.name].begin(), sums[c.name].end());
    all.insert(all.end(), counts[c.name].begin(), counts[c.name].end());
    all.push_back(candidates[c.name]);
  }
  ctx.mpi.allreduce_sum(all);
  CsvTable per_layer({"condition", "layer", "mean_cs", "count"}), summary(kConfusionSummary.columns);
  size_t at = 0;
  for (const auto& c : conditions()) {
    std::vector<double> sum(all.begin() + static_cast<int64_t>(at), all.begin() + static_cast<int64_t>(at) + L);
    std::vector<double> count(all.begin() + static_cast<int64_t>(at) + L, all.begin() + static_cast<int64_t>(at) + 2 * L);
    const double cand = all[at + 2 * static_cast<size_t>(L)];
    at += 2 * static_cast<size_t>(L) + 1;
    double mean_over_layers = 0;
    for (int l = 0; l < L; ++l) {
      const double m = count[static_cast<size_t>(l)] > 0 ? sum[static_cast<size_t>(l)] / count[static_cast<size_t>(l)] : NAN;
      per_layer.add({c.name, std::to_string(l + 1), fixed(m, 6), std::to_string(static_cast<int64_t>(count[static_cast<size_t>(l)]))});
      mean_over_layers += m / L;
    }
    const double sentences = count.empty() ? 0 : count[0];
    summary.add({c.name, fixed(mean_over_layers, 6), fixed(sentences > 0 ? cand / sentences : NAN, 6), fixed(c.paper, 2),
                 std::to_string(static_cast<int64_t>(sentences))});
  }
  out.write("per_layer.csv", per_layer.str());
  out.write_table(kConfusionSummary, summary);
  out.finish({{"layer_convention", kAttentionLayerColumn},
              {"max_sentences_per_file", lin.max_sentences_per_file}});
  return;
}

const StageRegistration registration{
    {"confusion_score", "Lin et al. 2019: attention confusion score for agreement (A1-A4) and reflexives (R1-R8)",
     run_confusion_score, {&lin_section()}}};

}  // namespace
}  // namespace bertology
