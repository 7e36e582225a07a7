// Clark et al. (2019) §4.2, Table 1: how well each attention head, read as a parser, finds the
// syntactic head of each word, per relation, against fixed-offset baselines. Pure computation.
//
// Word indices here are 0-based positions in the sentence; gold heads are CoNLL's 1-based word
// numbers with 0 = ROOT. For dependent i a head predicts word argmax_j A[i,j] (dep_to_head) or
// argmax_j A[j,i] (head_to_dep), the diagonal excluded, ties to the lowest j; the prediction is
// word j + 1 and ROOT (0) is never predicted. Possessives (the notebook's special case, applied to
// heads and offset baselines alike): for a `poss` / `nmod:poss` dependent i followed by the word
// `'s` or `s'` (or with the curly ’), the prediction made for that next word is scored instead,
// against i's gold head. PossessiveRule::Released adds the notebook's condition that i's own
// 1-based prediction p be < n (a prediction of the last word keeps the plain score).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/corpus/corpus.h"

namespace bertology {

enum Direction : int { kDepToHead = 0, kHeadToDep = 1 };
const char* direction_name(int direction);  ///< "dep_to_head" | "head_to_dep"

/// The fixed offsets of the baseline: predicted head of word i (1-based p = i + 1) is p + k,
/// clamped to [0, n] (0 = ROOT), as in the notebook.
constexpr int kNumOffsets = 5;
constexpr int kOffsets[kNumOffsets] = {-3, -2, -1, 1, 2};

/// Counts over a corpus; sums of integers, so splitting sentences over ranks changes nothing.
struct DependencyTally {
  std::vector<std::string> relations;  ///< [0] = "all", then the relations of the corpus, sorted
  int num_layers = 0, num_heads = 0;
  std::vector<int64_t> count;          ///< [R] dependents per relation
  std::vector<int64_t> correct;        ///< [R][L][H][2] correct predictions per head and direction
  std::vector<int64_t> baseline;       ///< [R][kNumOffsets]

  /// Relations = every DEPREL of `sentences` (plus "all"); zero counts.
  DependencyTally(const std::vector<const Sentence*>& sentences, int layers, int heads);
  int relation_index(const std::string& name) const;  ///< -1 when unknown
  /// Adds the counts of `other` (same relations and shape).
  void add(const DependencyTally& other);
  int64_t& correct_at(int r, int layer, int head, int direction) {
    return correct[((static_cast<size_t>(r) * num_layers + layer) * num_heads + head) * 2 + direction];
  }
  int64_t correct_at(int r, int layer, int head, int direction) const {
    return correct[((static_cast<size_t>(r) * num_layers + layer) * num_heads + head) * 2 + direction];
  }
};

/// The possessive rule as the paper states it, or with the released notebook's `p < len(words)`
/// condition (clark.possessive_rule: paper | released).
enum class PossessiveRule { Paper, Released };
PossessiveRule parse_possessive_rule(const std::string& name);  ///< InputError naming clark.possessive_rule

/// What scoring needs of a sentence.
struct DependencyGold {
  std::vector<int> heads;         ///< 1-based gold head per word, 0 = ROOT
  std::vector<int> relation;      ///< index into DependencyTally::relations per word
  std::vector<bool> score_next;   ///< possessive rule applies to this word (score the next word's prediction)
  PossessiveRule rule = PossessiveRule::Paper;
  /// The 1-based prediction scored for word i, given every word's prediction `predicted` [n].
  int scored(const std::vector<int>& predicted, int i) const {
    const int n = static_cast<int>(heads.size());
    const bool substitute = score_next[static_cast<size_t>(i)] &&
                            (rule == PossessiveRule::Paper || predicted[static_cast<size_t>(i)] < n);
    return predicted[static_cast<size_t>(substitute ? i + 1 : i)];
  }
};
/// InputError naming the sentence's origin when a word lacks a head or relation.
DependencyGold dependency_gold(const Sentence& sentence, const DependencyTally& tally,
                               PossessiveRule rule = PossessiveRule::Paper);

/// Adds the sentence's dependents to `count` and the offset baselines (call once per sentence).
void tally_sentence(const DependencyGold& gold, DependencyTally& tally);
/// Adds the predictions of every head of `layer`: word_attention = [H, n, n], words only.
void tally_layer(const float* word_attention, int layer, const DependencyGold& gold, DependencyTally& tally);

}  // namespace bertology
