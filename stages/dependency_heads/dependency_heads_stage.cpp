// Stage `dependency_heads`: Clark et al. (2019) §4.2, Table 1 — per relation, the accuracy of
// every head in both directions, the best head and the best fixed-offset baseline, with UD
// labels mapped to Stanford Dependencies where an arc-for-arc equivalent exists.
#include <algorithm>
#include <map>
#include <ostream>

#include "pipeline/analysis/word_attention_pass.h"
#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/util/error.h"
#include "pipeline/util/percent.h"
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

void run_dependency_heads(StageContext& ctx) {
  const Params& p = ctx.params;
  const ClarkParams& clark = clark_section().of(p);
  BTL_REQUIRE(!p.input.pairs, "dependency_heads: needs one sentence per input; set input.pairs: false");
  const CacheEntry& entry = ctx.cache();
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;

  const CacheReader reader = open_attention_entry(entry, "dependency_heads");
  const WordFrom from = clark_word_from(p);
  const PossessiveRule rule = parse_possessive_rule(clark.possessive_rule);
  const int L = reader.num_layers(), H = reader.num_heads();
  std::vector<const Sentence*> used;
  for (int64_t i = 0; i < reader.num_sequences(); ++i)
    used.push_back(&reader.corpus().sentences[static_cast<size_t>(reader.sequence(i).sentence_a)]);
  DependencyTally tally(used, L, H);

  // This rank's sentences; one with a word that produced no wordpiece has no attention row to read
  // a prediction from and is skipped (counted).
  int64_t skipped_no_pieces = 0;
  std::vector<int64_t> sequences;
  std::vector<DependencyGold> golds(static_cast<size_t>(reader.num_sequences()));
  for (int64_t i : ctx.my_share(reader.num_sequences())) {
    const auto seq = reader.sequence(i);
    std::vector<bool> has_piece(static_cast<size_t>(seq.num_words), false);
    for (int32_t w : seq.word_ids)
      if (w >= 0) has_piece[static_cast<size_t>(w)] = true;
    if (std::find(has_piece.begin(), has_piece.end(), false) != has_piece.end()) {
      ++skipped_no_pieces;
      continue;
    }
    golds[static_cast<size_t>(i)] = dependency_gold(*used[static_cast<size_t>(i)], tally, rule);
    sequences.push_back(i);
  }
  // Reads on this thread; word-level conversion and scoring on model.threads workers, each with its
  // own tally (integer counts: the sum does not depend on which worker saw which sentence).
  const int workers = std::max(1, p.model.threads);
  std::vector<DependencyTally> partial(static_cast<size_t>(workers), tally);
  word_attention_pass(reader, sequences, from, [&](int64_t i, const std::vector<std::vector<float>>& words, int w) {
    BTL_CHECK(!words.empty(), "dependency_heads: sequence ", i, " lost a word");
    const DependencyGold& gold = golds[static_cast<size_t>(i)];
    DependencyTally& t = partial[static_cast<size_t>(w)];
    tally_sentence(gold, t);
    for (int l = 0; l < L; ++l) tally_layer(words[static_cast<size_t>(l)].data(), l, gold, t);
  }, workers);
  for (const auto& t : partial) tally.add(t);
  ctx.mpi.allreduce_sum(tally.count);
  ctx.mpi.allreduce_sum(tally.correct);
  ctx.mpi.allreduce_sum(tally.baseline);
  skipped_no_pieces = ctx.mpi.allreduce_sum(skipped_no_pieces);

  const bool sd = reader.corpus().format == CorpusFormat::Ptb;
  CsvTable heads({"relation", "layer", "head", "direction", "correct", "count", "accuracy"});
  CsvTable relations(kDependencyRelations.columns);
  // Reported: `all` first, then relations by count (most frequent first), ties by name.
  std::vector<int> order;
  for (size_t r = 1; r < tally.relations.size(); ++r)
    if (tally.count[r] >= clark.min_relation_count) order.push_back(static_cast<int>(r));
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
  out.write_table(kDependencyRelations, relations);
  out.finish({{"num_sentences", tally.count.empty() ? 0 : static_cast<int64_t>(reader.num_sequences() - skipped_no_pieces)},
              {"num_words", tally.count[0]},
              {"skipped_sentences_word_without_pieces", skipped_no_pieces},
              {"labels", sd ? "stanford" : "corpus"},
              {"index_base", 1}});
  return;
}

const StageRegistration registration{
    {"dependency_heads", "Clark et al. 2019 §4.2: per-relation accuracy of every head as a dependency parser",
     run_dependency_heads, {&clark_section()}}};

}  // namespace
}  // namespace bertology
