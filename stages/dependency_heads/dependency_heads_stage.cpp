// Stage `dependency_heads`: Clark et al. (2019) §4.2, Table 1 — per relation, the accuracy of
// every head in both directions, the best head and the best fixed-offset baseline, with UD
// labels mapped to Stanford Dependencies where an arc-for-arc equivalent exists.
#include <map>
#include <ostream>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/csv_table.h"
#include "pipeline/analysis/stage_output.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"
#include "stages/dependency_heads/dependency_scoring.h"

namespace bertology {
namespace {

/// UD relation -> basic Stanford Dependencies relation of the same arc (docs/clark2019.md).
/// SD labels (PTB input) map to themselves.
std::string stanford_relation(const std::string& rel, bool corpus_is_sd) {
  if (corpus_is_sd) return rel;
  static const std::map<std::string, std::string> ud_to_sd = {
      {"nsubj", "nsubj"},       {"nsubj:pass", "nsubjpass"}, {"obj", "dobj"},          {"iobj", "iobj"},
      {"det", "det"},           {"amod", "amod"},            {"compound", "nn"},       {"nmod:poss", "poss"},
      {"advmod", "advmod"},     {"nummod", "num"},           {"compound:prt", "prt"},  {"nmod:tmod", "tmod"},
      {"obl:tmod", "tmod"},     {"aux", "aux"},              {"aux:pass", "auxpass"},  {"cop", "cop"},
      {"mark", "mark"},         {"cc", "cc"},                {"conj", "conj"},         {"ccomp", "ccomp"},
      {"xcomp", "xcomp"},       {"advcl", "advcl"},          {"acl:relcl", "rcmod"},   {"appos", "appos"},
      {"nmod:npmod", "npadvmod"}, {"obl:npmod", "npadvmod"}, {"punct", "punct"},      {"root", "root"},
      {"all", "all"}};
  const auto it = ud_to_sd.find(rel);
  return it == ud_to_sd.end() ? "" : it->second;
}

double percent(int64_t correct, int64_t count) { return count > 0 ? 100.0 * correct / count : 0.0; }

int run_dependency_heads(const StageContext& ctx) {
  const Params& p = ctx.params;
  BTL_REQUIRE(!p.input.pairs, "dependency_heads: needs one sentence per input; set input.pairs: false");
  StageOutput out(ctx, "dependency_heads",
                  {{"cache", entry_name(ctx.cache)}, {"word_from", p.clark.word_from},
                   {"min_relation_count", p.clark.min_relation_count}});
  if (out.up_to_date()) return 0;

  const CacheReader reader = open_attention_entry(ctx.cache, "dependency_heads");
  const WordFrom from = clark_word_from(p);
  const int L = reader.num_layers(), H = reader.num_heads();
  std::vector<const Sentence*> used;
  for (int64_t i = 0; i < reader.num_sequences(); ++i)
    used.push_back(&reader.corpus().sentences[static_cast<size_t>(reader.sequence(i).sentence_a)]);
  DependencyTally tally(used, L, H);

  int64_t skipped_no_pieces = 0;
  std::vector<float> words;
  std::vector<int32_t> unit_word_ids;
  for (int64_t i = 0; i < reader.num_sequences(); ++i) {
    if (!mine(i, ctx)) continue;
    if (stop_requested()) throw StopRequested{};
    const Sentence& sentence = *used[static_cast<size_t>(i)];
    const DependencyGold gold = dependency_gold(sentence, tally);
    const int n = static_cast<int>(gold.heads.size());
    bool complete = true;
    std::vector<std::vector<float>> per_layer(static_cast<size_t>(L));
    for (int l = 0; l < L && complete; ++l) {
      const auto units = reader.word_attention(i, l, from, &unit_word_ids);
      complete = words_only_attention(units, H, unit_word_ids, n, per_layer[static_cast<size_t>(l)]);
    }
    if (!complete) {  // a word without wordpieces: no attention row to read a prediction from
      ++skipped_no_pieces;
      continue;
    }
    tally_sentence(gold, tally);
    for (int l = 0; l < L; ++l) tally_layer(per_layer[static_cast<size_t>(l)].data(), l, gold, tally);
  }
  ctx.mpi.allreduce_sum(tally.count);
  ctx.mpi.allreduce_sum(tally.correct);
  ctx.mpi.allreduce_sum(tally.baseline);
  skipped_no_pieces = ctx.mpi.allreduce_sum(skipped_no_pieces);

  const bool sd = reader.corpus().format == CorpusFormat::Ptb;
  CsvTable heads({"relation", "layer", "head", "direction", "correct", "count", "accuracy"});
  CsvTable relations({"relation", "count", "sd_relation", "best_layer", "best_head", "best_direction", "best_accuracy",
                      "baseline_offset", "baseline_accuracy"});
  // Reported: `all` first, then relations by count (most frequent first), ties by name.
  std::vector<int> order;
  for (size_t r = 1; r < tally.relations.size(); ++r)
    if (tally.count[r] >= p.clark.min_relation_count) order.push_back(static_cast<int>(r));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return tally.count[a] > tally.count[b]; });
  order.insert(order.begin(), 0);
  for (int r : order) {
    const int64_t count = tally.count[static_cast<size_t>(r)];
    int best_l = 0, best_h = 0, best_d = 0;
    int64_t best = -1;
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h)
        for (int d : {kDepToHead, kHeadToDep}) {
          const int64_t c = tally.correct_at(r, l, h, d);
          heads.add({tally.relations[r], std::to_string(l + 1), std::to_string(h + 1), direction_name(d),
                     std::to_string(c), std::to_string(count), fixed(percent(c, count), 4)});
          if (c > best) best = c, best_l = l, best_h = h, best_d = d;
        }
    int best_k = 0;
    for (int k = 1; k < kNumOffsets; ++k)
      if (tally.baseline[r * kNumOffsets + k] > tally.baseline[r * kNumOffsets + best_k]) best_k = k;
    relations.add({tally.relations[r], std::to_string(count), stanford_relation(tally.relations[r], sd),
                   std::to_string(best_l + 1), std::to_string(best_h + 1), direction_name(best_d),
                   fixed(percent(best, count), 4), std::to_string(kOffsets[best_k]),
                   fixed(percent(tally.baseline[r * kNumOffsets + best_k], count), 4)});
  }
  out.write("heads.csv", heads.str());
  out.write("relations.csv", relations.str());
  out.finish({{"num_sentences", tally.count.empty() ? 0 : static_cast<int64_t>(reader.num_sequences() - skipped_no_pieces)},
              {"num_words", tally.count[0]},
              {"skipped_sentences_word_without_pieces", skipped_no_pieces},
              {"labels", sd ? "stanford" : "corpus"},
              {"index_base", 1}});
  return 0;
}

const StageRegistration registration{
    {"dependency_heads", "Clark et al. 2019 §4.2: per-relation accuracy of every head as a dependency parser",
     run_dependency_heads}};

}  // namespace
}  // namespace bertology
