// Stage `attention_distance`: how far each head looks — per layer and head, the mean attention
// mass at each token distance |i - j| (in bins) and the mean attention distance, over the run's
// cache entry. The example stage of docs/writing-a-stage.md: it touches only this folder and the
// build's stage list.
#include <ostream>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/config/config_section.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "stages/attention_distance/distance_histogram.h"

namespace bertology {
namespace {

/// Section `attention_distance`: the stage's own keys.
struct AttentionDistanceParams {
  std::vector<int64_t> bins;  ///< upper edges of the distance bins
};

const ConfigSection<AttentionDistanceParams>& attention_distance_section() {
  static const ConfigSection<AttentionDistanceParams> section("attention_distance", "attention_distance stage", {
      field(&AttentionDistanceParams::bins,
           ints_key("bins", {0, 1, 2, 4, 8, 16}, 0, kUnbounded,
                    "attention_distance: ascending upper edges of the |i - j| bins (a last bin takes the rest).")),
  });
  return section;
}

void run_attention_distance(StageContext& ctx) {
  const DistanceBins bins(attention_distance_section().of(ctx.params).bins);
  const CacheEntry& entry = ctx.cache();  // recorded as the stage's input
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;

  const CacheReader reader = CacheReader::open(entry);
  BTL_REQUIRE(reader.has_attention(), "attention_distance: cache entry ", entry.dir, " has no attention; set extract.attention: true");
  const auto& layers = reader.attention_layers();  // 0-based, as stored
  const int H = static_cast<int>(reader.attention_heads().size()), width = bins.count() + 1;
  // [stored layer][head][bin..., distance] sums over this rank's sequences, then the query-row count.
  std::vector<double> sums(layers.size() * H * width + 1, 0.0);
  ctx.for_my_share(reader.num_sequences(), [&](int64_t i) {
    const int T = static_cast<int>(reader.sequence_length(i));
    for (size_t k = 0; k < layers.size(); ++k) {
      const auto attention = reader.attention(i, AttentionLayer{static_cast<int>(layers[k])});
      add_distance_histogram(attention.data(), H, T, bins, sums.data() + k * H * width);
    }
    sums.back() += T;
  });
  ctx.mpi.allreduce_sum(sums);
  const double rows = sums.back();
  BTL_REQUIRE(rows > 0, "attention_distance: the cache entry ", entry.dir, " holds no tokens");

  std::vector<std::string> columns = {"layer", "head"};
  for (int b = 0; b < bins.count(); ++b)
    columns.push_back(b == 0                 ? cat("d_0_", bins.edges[0])
                      : b < bins.count() - 1 ? cat("d_", bins.edges[b - 1] + 1, "_", bins.edges[b])
                                             : cat("d_over_", bins.edges.back()));
  columns.push_back("mean_distance");
  CsvTable table(columns);
  for (size_t k = 0; k < layers.size(); ++k)
    for (int h = 0; h < H; ++h) {
      std::vector<std::string> cells = {std::to_string(AttentionLayer{static_cast<int>(layers[k])}.number()),
                                        std::to_string(reader.attention_heads()[static_cast<size_t>(h)] + 1)};
      for (int c = 0; c < width; ++c) cells.push_back(fixed(sums[(k * H + h) * width + c] / rows, 6));
      table.add(std::move(cells));
    }
  out.write("distances.csv", table.str());
  out.finish({{"query_rows", static_cast<int64_t>(rows)}, {"layer_convention", kAttentionLayerColumn}, {"index_base", 1}});
}

const StageRegistration registration{
    {"attention_distance", "Attention mass per token distance |i - j| and mean attention distance of every head",
     run_attention_distance, {&attention_distance_section()}}};

}  // namespace
}  // namespace bertology
