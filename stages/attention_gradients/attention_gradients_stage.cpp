// Stage `attention_gradients`: Clark et al. (2019) §3.2, Figure 3 — mean |∂L_MLM/∂α| per layer
// for attention to [SEP], to punctuation and to other tokens, on [CLS] A [SEP] B [SEP] inputs.
#include <ostream>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "stages/attention_gradients/attention_gradients.h"

namespace bertology {
namespace {

void run_attention_gradients(StageContext& ctx) {
  const Params& p = ctx.params;
  const ClarkParams& clark = clark_section().of(p);
  const std::string model_dir = clark.gradient_model.empty() ? p.model.path : clark.gradient_model;
  // The model is loaded (and its MLM head checked) before any extraction for it.
  const AttentionGradientModel model(model_dir, p.model.threads);
  const CacheEntry entry = extract_sentence_pairs(ctx, model_dir);
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;

  const CacheReader reader = CacheReader::open(entry);
  const ClarkTokenIds ids = clark_token_ids(model_dir);
  const int L = model.num_layers();
  const int64_t S = std::min<int64_t>(reader.num_sequences(), clark.gradient_sequences);
  std::vector<double> sums(static_cast<size_t>(L) * kNumGradientTargets + 2, 0.0),
      counts(static_cast<size_t>(L) * kNumGradientTargets, 0.0);
  ctx.for_my_share(S, [&](int64_t i) {
    const auto seq = reader.sequence(i);
    const auto kinds = ids.kinds(seq.input_ids);
    const auto masked = choose_masked_positions(kinds, clark.mask_probability, static_cast<uint64_t>(p.runtime.seed), i);
    if (masked.empty()) return;
    sums[sums.size() - 2] += model.add_sequence(seq.input_ids, seq.segment_ids, kinds, masked, sums, counts);
    sums.back() += 1;  // sequences with a masked piece
  });
  ctx.mpi.allreduce_sum(sums);
  ctx.mpi.allreduce_sum(counts);
  BTL_REQUIRE(S > 0, "attention_gradients: no sentence pair fits tokenizer.max_length in ", p.corpus.path);

  CsvTable table(kAttentionGradients.columns);
  for (int l = 0; l < L; ++l) {
    std::vector<std::string> cells = {std::to_string(l + 1)};
    for (int c = 0; c < kNumGradientTargets; ++c) {
      const size_t at = static_cast<size_t>(l) * kNumGradientTargets + c;
      cells.push_back(counts[at] > 0 ? fixed(sums[at] / counts[at] , 9) : "nan");
    }
    table.add(std::move(cells));
  }
  out.write_table(kAttentionGradients, table);
  out.finish({{"num_sequences", S}, {"mean_mlm_loss", sums.back() > 0 ? sums[sums.size() - 2] / sums.back() : 0.0},
              {"model", model_dir}, {"index_base", 1}});
}

const StageRegistration registration{
    {"attention_gradients", "Clark et al. 2019 §3.2: |dL_MLM/d attention| to [SEP], punctuation, other tokens per layer",
     run_attention_gradients, {&clark_section()}}};

}  // namespace
}  // namespace bertology
