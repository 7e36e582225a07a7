// Stage `attention_patterns`: Clark et al. (2019) §3 — average attention of every head to [CLS],
// [SEP], punctuation, the next/previous token and itself, and attention entropy, on
// [CLS] A [SEP] B [SEP] inputs of consecutive sentences. Files: docs/clark2019.md.
#include <cmath>
#include <ostream>

#include "pipeline/analysis/attention_measures.h"
#include "pipeline/analysis/attention_pass.h"
#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {
namespace {

void run_attention_patterns(StageContext& ctx) {
  const CacheEntry entry = extract_sentence_pairs(ctx);
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;

  const CacheReader reader = open_attention_entry(entry, "attention_patterns");
  const ClarkTokenIds ids = clark_token_ids(ctx.params.model.path);
  const int L = reader.num_layers(), H = reader.num_heads();
  const size_t per_layer = static_cast<size_t>(H) * kNumPatternMeasures;
  // Partial sums over this rank's sequences, then summed over ranks: [L][H][measure] + log T + count.
  std::vector<double> sums(L * per_layer + 2, 0.0);
  // Reads on this thread, sums on one worker, in sequence order (the same sums on every run).
  attention_pass(reader, ctx.my_share(reader.num_sequences()), [&](int64_t i, std::vector<std::vector<float>>& attention, int) {
    const auto seq = reader.sequence(i);
    const int T = static_cast<int>(seq.input_ids.size());
    const auto kinds = ids.kinds(seq.input_ids);
    for (int l = 0; l < L; ++l)
      add_sequence_patterns(attention[static_cast<size_t>(l)].data(), H, T, kinds, sums.data() + l * per_layer);
    sums[L * per_layer] += std::log(static_cast<double>(T));
    sums[L * per_layer + 1] += 1;
  }, 1, &stop_requested);
  ctx.mpi.allreduce_sum(sums);
  const double n = sums[L * per_layer + 1];
  BTL_REQUIRE(n > 0, "attention_patterns: no sentence pair fits tokenizer.max_length in ", ctx.params.corpus.path);

  std::vector<std::string> columns = {"layer", "head"};
  for (int m = 0; m < kNumPatternMeasures; ++m) columns.push_back(pattern_measure_name(m));
  CsvTable table(columns);
  nlohmann::json per_layer_means = nlohmann::json::array(), prev_heads = nlohmann::json::array(),
                 next_heads = nlohmann::json::array();
  for (int l = 0; l < L; ++l) {
    nlohmann::json layer_mean = {{"layer", l + 1}};
    std::vector<double> mean(kNumPatternMeasures, 0.0);
    for (int h = 0; h < H; ++h) {
      std::vector<std::string> cells = {std::to_string(l + 1), std::to_string(h + 1)};
      for (int m = 0; m < kNumPatternMeasures; ++m) {
        const double v = sums[l * per_layer + h * kNumPatternMeasures + m] / n;
        cells.push_back(fixed(v, 6));
        mean[m] += v / H;
      }
      const double to_prev = sums[l * per_layer + h * kNumPatternMeasures + kToPrev] / n;
      const double to_next = sums[l * per_layer + h * kNumPatternMeasures + kToNext] / n;
      if (to_prev > 0.5) prev_heads.push_back(std::to_string(l + 1) + "-" + std::to_string(h + 1));
      if (to_next > 0.5) next_heads.push_back(std::to_string(l + 1) + "-" + std::to_string(h + 1));
      table.add(std::move(cells));
    }
    for (int m = 0; m < kNumPatternMeasures; ++m) layer_mean[pattern_measure_name(m)] = mean[m];
    per_layer_means.push_back(layer_mean);
  }
  const nlohmann::json summary = {{"num_sequences", static_cast<int64_t>(n)},
                                  {"uniform_entropy", sums[L * per_layer] / n},
                                  {"layers", per_layer_means},
                                  {"heads_to_prev_over_half", prev_heads},
                                  {"heads_to_next_over_half", next_heads},
                                  {"index_base", 1}};
  out.write("patterns.csv", table.str());
  out.write(kPatternSummary.file, summary.dump(2) + "\n");
  out.finish({{"num_sequences", static_cast<int64_t>(n)}});
  return;
}

const StageRegistration registration{
    {"attention_patterns", "Clark et al. 2019 §3: attention to [CLS]/[SEP]/punctuation/next/previous/self, entropy",
     run_attention_patterns, {&clark_section()}}};

}  // namespace
}  // namespace bertology
