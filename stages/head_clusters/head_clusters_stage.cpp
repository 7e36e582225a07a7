// Stage `head_clusters`: Clark et al. (2019) §6, Figure 6 — Jensen–Shannon distances between
// every pair of heads over the corpus, a 2-D classical MDS embedding, behaviour labels.
// Reads the same [CLS] A [SEP] B [SEP] entry as attention_patterns (Clark used one data set).
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
#include "stages/head_clusters/classical_mds.h"

namespace bertology {
namespace {

void run_head_clusters(StageContext& ctx) {
  const CacheEntry entry = extract_sentence_pairs(ctx);
  StageOutput out = ctx.begin_output({{"js_sums", "double"}});
  if (out.up_to_date()) return;

  const CacheReader reader = open_attention_entry(entry, "head_clusters");
  const ClarkTokenIds ids = clark_token_ids(ctx.params.model.path);
  const int L = reader.num_layers(), H = reader.num_heads(), K = L * H;
  std::vector<double> distances(static_cast<size_t>(K) * K, 0.0);
  std::vector<double> patterns(static_cast<size_t>(K) * kNumPatternMeasures + 1, 0.0);
  std::vector<std::vector<float>> maps(static_cast<size_t>(K));
  // Reads on this thread, sums on one worker, in sequence order (the same sums on every run).
  attention_pass(reader, ctx.my_share(reader.num_sequences()), [&](int64_t i, std::vector<std::vector<float>>& layers, int) {
    const auto seq = reader.sequence(i);
    const int T = static_cast<int>(seq.input_ids.size());
    const auto kinds = ids.kinds(seq.input_ids);
    for (int l = 0; l < L; ++l) {
      const auto& attention = layers[static_cast<size_t>(l)];
      add_sequence_patterns(attention.data(), H, T, kinds, patterns.data() + static_cast<size_t>(l) * H * kNumPatternMeasures);
      for (int h = 0; h < H; ++h)
        maps[static_cast<size_t>(l * H + h)].assign(attention.begin() + static_cast<int64_t>(h) * T * T,
                                                    attention.begin() + static_cast<int64_t>(h + 1) * T * T);
    }
    add_js_distance_sums(maps, T, distances);
    patterns.back() += 1;
  }, 1, &stop_requested);
  ctx.mpi.allreduce_sum(distances);
  ctx.mpi.allreduce_sum(patterns);
  const double n = patterns.back();
  BTL_REQUIRE(n > 0, "head_clusters: no sentence pair fits tokenizer.max_length in ", ctx.params.corpus.path);
  for (int a = 0; a < K; ++a)
    for (int b = 0; b < a; ++b) distances[static_cast<size_t>(a) * K + b] = distances[static_cast<size_t>(b) * K + a];

  const std::vector<double> xy = classical_mds(distances, K, 2);
  std::vector<std::string> columns = {"head_id"};
  for (int k = 0; k < K; ++k) columns.push_back(std::to_string(k / H + 1) + "-" + std::to_string(k % H + 1));
  CsvTable matrix(columns);
  for (int a = 0; a < K; ++a) {
    std::vector<std::string> cells = {columns[static_cast<size_t>(a) + 1]};
    for (int b = 0; b < K; ++b) cells.push_back(fixed(distances[static_cast<size_t>(a) * K + b], 4));
    matrix.add(std::move(cells));
  }
  CsvTable embedding(kHeadEmbedding.columns);
  for (int k = 0; k < K; ++k) {
    auto m = [&](int measure) { return patterns[static_cast<size_t>(k) * kNumPatternMeasures + measure] / n; };
    embedding.add({std::to_string(k / H + 1), std::to_string(k % H + 1), fixed(xy[static_cast<size_t>(k) * 2], 4),
                   fixed(xy[static_cast<size_t>(k) * 2 + 1], 4),
                   head_behaviour(m(kEntropy), m(kToNext), m(kToPrev), m(kToCls), m(kToSep), m(kToPunct))});
  }
  out.write("distances.csv", matrix.str());
  out.write_table(kHeadEmbedding, embedding);
  out.finish({{"num_sequences", static_cast<int64_t>(n)}, {"index_base", 1}, {"embedding", "classical MDS"}});
  return;
}

const StageRegistration registration{
    {"head_clusters", "Clark et al. 2019 §6: Jensen-Shannon distances between heads, 2-D MDS, behaviour labels",
     run_head_clusters, {&clark_section()}}};

}  // namespace
}  // namespace bertology
