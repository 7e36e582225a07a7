#include "stages/dependency_heads/dependency_scoring.h"

#include <algorithm>
#include <set>

#include "pipeline/analysis/word_attention.h"
#include "pipeline/util/error.h"

namespace bertology {

const char* direction_name(int direction) { return direction == kDepToHead ? "dep_to_head" : "head_to_dep"; }

DependencyTally::DependencyTally(const std::vector<const Sentence*>& sentences, int layers, int heads)
    : num_layers(layers), num_heads(heads) {
  std::set<std::string> names;
  for (const Sentence* s : sentences)
    for (const auto& a : s->annotations) names.insert(a.deprel);
  names.erase("all");
  relations.push_back("all");
  relations.insert(relations.end(), names.begin(), names.end());
  count.assign(relations.size(), 0);
  correct.assign(relations.size() * static_cast<size_t>(layers) * heads * 2, 0);
  baseline.assign(relations.size() * kNumOffsets, 0);
}

int DependencyTally::relation_index(const std::string& name) const {
  const auto it = std::lower_bound(relations.begin() + 1, relations.end(), name);
  if (name == "all") return 0;
  return it != relations.end() && *it == name ? static_cast<int>(it - relations.begin()) : -1;
}

void DependencyTally::add(const DependencyTally& other) {
  for (size_t k = 0; k < count.size(); ++k) count[k] += other.count[k];
  for (size_t k = 0; k < correct.size(); ++k) correct[k] += other.correct[k];
  for (size_t k = 0; k < baseline.size(); ++k) baseline[k] += other.baseline[k];
}

PossessiveRule parse_possessive_rule(const std::string& name) {
  if (name == "paper") return PossessiveRule::Paper;
  if (name == "released") return PossessiveRule::Released;
  throw InputError(cat("clark.possessive_rule: unknown value '", name, "' (expected paper or released)"));
}

DependencyGold dependency_gold(const Sentence& sentence, const DependencyTally& tally, PossessiveRule rule) {
  const size_t n = sentence.words.size();
  BTL_REQUIRE(sentence.annotations.size() == n, sentence.origin,
              ": dependency_heads needs gold heads and relations (a CoNLL-U, CoNLL-X or PTB corpus)");
  DependencyGold gold;
  gold.rule = rule;
  for (size_t i = 0; i < n; ++i) {
    const auto& a = sentence.annotations[i];
    BTL_REQUIRE(a.head >= 0 && a.head <= static_cast<int>(n) && !a.deprel.empty() && a.deprel != "_",
                sentence.origin, ": word ", i + 1, " '", sentence.words[i], "' has no gold head or relation");
    gold.heads.push_back(a.head);
    gold.relation.push_back(tally.relation_index(a.deprel));
    const bool possessive = a.deprel == "poss" || a.deprel == "nmod:poss";
    gold.score_next.push_back(possessive && i + 1 < n &&
                              (sentence.words[i + 1] == "'s" || sentence.words[i + 1] == "s'" ||
                               sentence.words[i + 1] == "\u2019s" || sentence.words[i + 1] == "s\u2019"));
  }
  return gold;
}

void tally_sentence(const DependencyGold& gold, DependencyTally& tally) {
  const int n = static_cast<int>(gold.heads.size());
  for (int i = 0; i < n; ++i) {
    tally.count[0] += 1;
    tally.count[static_cast<size_t>(gold.relation[i])] += 1;
  }
  // The possessive rule holds for the baselines too, as in Clark's evaluate_predictor, which
  // scores every predictor the same way. (The released p < n condition cannot change a
  // baseline: p_i = n implies p_{i+1} = n after clamping.)
  std::vector<int> predicted(static_cast<size_t>(n));
  for (int k = 0; k < kNumOffsets; ++k) {
    for (int i = 0; i < n; ++i) predicted[static_cast<size_t>(i)] = std::clamp(i + 1 + kOffsets[k], 0, n);
    for (int i = 0; i < n; ++i) {
      if (gold.scored(predicted, i) == gold.heads[i]) {
        tally.baseline[k] += 1;
        tally.baseline[static_cast<size_t>(gold.relation[i]) * kNumOffsets + k] += 1;
      }
    }
  }
}

void tally_layer(const float* word_attention, int layer, const DependencyGold& gold, DependencyTally& tally) {
  const int n = static_cast<int>(gold.heads.size());
  std::vector<int> predicted(static_cast<size_t>(n));
  for (int h = 0; h < tally.num_heads; ++h) {
    const float* a = word_attention + static_cast<int64_t>(h) * n * n;
    for (int direction : {kDepToHead, kHeadToDep}) {
      for (int i = 0; i < n; ++i)
        predicted[i] = 1 + (direction == kDepToHead ? argmax_skipping(a + static_cast<int64_t>(i) * n, n, i)
                                                    : argmax_skipping(a + i, n, i, n));
      for (int i = 0; i < n; ++i) {
        if (gold.scored(predicted, i) != gold.heads[i]) continue;
        tally.correct_at(0, layer, h, direction) += 1;
        tally.correct_at(gold.relation[i], layer, h, direction) += 1;
      }
    }
  }
}

}  // namespace bertology
