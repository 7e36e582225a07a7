// Test-time "un-readable data" attacks on multiple-choice reading comprehension (Si, Wang, Kan,
// Jiang 2019, "What does BERT learn from multiple-choice reading comprehension datasets?", §3;
// REPLICATION.md §3.2), the ShuffleDegree measure, the seeded shuffle they share with the
// un-answerable transforms, and JSON export of attacked sets. Torch-free.
//
// Tokenisation (our choice; the paper and the AdvRACE code use Python's str.split()):
//  - words: maximal runs of non-whitespace, whitespace being ASCII space, \t, \n, \v, \f, \r
//    (as str.split() without arguments, except that non-ASCII spaces such as U+00A0 are not
//    separators). Punctuation stays attached ("cat." is one word). Shuffled sequences are
//    written back with single spaces between words.
//  - sentences of a passage: the passage is cut right after every '.', '!' or '?' that is
//    followed by whitespace (or ends the passage); pieces are trimmed of whitespace and empty
//    pieces dropped; a passage without such a mark is one sentence. Simple on purpose: "Mr. Smith"
//    is cut after "Mr." and a sentence ending in '."' is not cut before the next one.
//
// The attacks (the wrong options are all options but `answer`; the correct option, the
// question, the answer index and the option count are never changed):
//  - AddSent2Pas-Shuffle: the words of question + all wrong options (in option order) are
//    shuffled and appended to the end of the passage: passage + " " + shuffled.
//  - AddSent2Opt-Shuffle: each wrong option becomes shuffle(option words + words of one random
//    passage sentence).
//  - AddAns2Opt-Shuffle: each wrong option becomes shuffle(option words + correct answer words).
//  - AddSent2Opt: each wrong option becomes option + " " + sentence (no shuffle).
//  - Sent2Opt-Shuffle: each wrong option is replaced by shuffle(sentence words).
//  - AddAns2Opt: each wrong option becomes option + " " + answer (no shuffle).
//  - Ans2Opt-Shuffle: each wrong option is replaced by shuffle(correct answer words).
// In the unshuffled variants the strings are joined verbatim ("a" + " " + "b"); an empty part is
// left out together with its space.
//
// Shuffle constraints (paper §3; not in the public AdvRACE code): a shuffle is accepted when its
// ShuffleDegree against the unshuffled sequence is >= min_shuffle_degree and, for
// AddSent2Pas-Shuffle only, no wrong option of two or more words occurs as a contiguous run of
// words in the shuffled sequence. (A one-word option is always present in a permutation of a
// sequence that contains it, so requiring its absence could never be met.) Otherwise it is
// re-shuffled, at most max_reshuffles times; when no try is accepted the best one is kept: one
// without a forbidden run before one with, then the higher degree, then the earlier try. Such
// sequences are counted in AttackInfo::unmet. A sequence whose words are all equal (including
// sequences of 0 or 1 word) cannot change and is not re-shuffled. For Ans2Opt-Shuffle the degree
// threshold is what makes the shuffled answer differ from the correct answer when possible; a
// one-word answer cannot differ and the wrong option then becomes a copy of it (unmet).
//
// Randomness: std::mt19937_64 (fully specified by the standard) seeded with
// example_seed(seed, example_index); integers from uniform_below() (rejection sampling, not
// std::uniform_int_distribution, whose algorithm is implementation-defined) and our own
// Fisher–Yates, so outputs are identical across compilers and platforms. Draw order: for
// AddSent2Pas-Shuffle one shuffle; for the option attacks, first one sentence per wrong option
// (sentence attacks; uniform over the passage's sentences, independently, in option order), then
// the shuffles of the wrong options in option order. So, for one example and seed, AddSent2Opt,
// AddSent2Opt-Shuffle and Sent2Opt-Shuffle pick the same sentences, and AddSent2Opt-Shuffle is a
// shuffle of AddSent2Opt.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/mcrc/mc_example.h"

namespace bertology {

// ---- tokenisation -----------------------------------------------------------------------------

/// Whitespace-separated words (see the header comment).
std::vector<std::string> split_words(std::string_view text);
/// Words joined with single spaces.
std::string join_words(const std::vector<std::string>& words);
/// Trimmed sentences of a passage (see the header comment).
std::vector<std::string> split_sentences(std::string_view passage);

// ---- ShuffleDegree ----------------------------------------------------------------------------

/// Word-level Levenshtein distance (insert, delete, substitute each cost 1; words compared as
/// exact strings).
std::size_t word_edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b);
/// MinimumEditDistance(original, shuffled) / |original|; 0 when original is empty. In [0, 1] when
/// shuffled is a permutation of original.
double shuffle_degree(const std::vector<std::string>& original, const std::vector<std::string>& shuffled);
/// True when `needle` (non-empty) occurs as a contiguous run of `haystack`.
bool contains_run(const std::vector<std::string>& haystack, const std::vector<std::string>& needle);

// ---- deterministic randomness -----------------------------------------------------------------

/// The seed of one example's engine: splitmix64 mixing of (seed, example_index).
uint64_t example_seed(uint64_t seed, uint64_t example_index);
/// A uniform integer in [0, n) from `engine` (rejection sampling); n >= 1.
uint64_t uniform_below(std::mt19937_64& engine, uint64_t n);

/// Fisher–Yates: for i = n-1 down to 1 swap element i with element uniform_below(i + 1).
template <typename T>
void fisher_yates(std::vector<T>& items, std::mt19937_64& engine) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(uniform_below(engine, i));
    if (j != i - 1) std::swap(items[i - 1], items[j]);
  }
}

/// One constrained shuffle (see the header comment).
struct ShuffleResult {
  std::vector<std::string> words;
  double degree = 0.0;  ///< shuffle_degree(original, words)
  int reshuffles = 0;   ///< shuffles after the first
  bool met = true;      ///< the kept shuffle satisfies the threshold and the forbidden runs
};
/// Shuffles `original` until shuffle_degree >= min_degree and no non-empty run of `forbidden`
/// occurs, re-shuffling at most max_reshuffles times, and keeps the best try otherwise.
ShuffleResult constrained_shuffle(const std::vector<std::string>& original, std::mt19937_64& engine,
                                  double min_degree, int max_reshuffles,
                                  const std::vector<std::vector<std::string>>& forbidden = {});

// ---- attacks ----------------------------------------------------------------------------------

enum class Attack {
  AddSent2PasShuffle,
  AddSent2OptShuffle,
  AddAns2OptShuffle,
  AddSent2Opt,
  Sent2OptShuffle,
  AddAns2Opt,
  Ans2OptShuffle
};
/// "AddSent2Pas-Shuffle", "AddSent2Opt-Shuffle", "AddAns2Opt-Shuffle", "AddSent2Opt",
/// "Sent2Opt-Shuffle", "AddAns2Opt", "Ans2Opt-Shuffle".
const char* attack_name(Attack attack);
/// The attack of that exact name; InputError listing the valid names otherwise.
Attack parse_attack(std::string_view name);
/// All seven, in Table 2's order.
const std::vector<Attack>& all_attacks();
/// Whether the attack shuffles words (the "-Shuffle" ones).
bool attack_shuffles(Attack attack);

struct AttackOptions {
  /// Not stated in the paper (only that the mean degree is above 0.65, footnote 1). 0.5 rejects
  /// near-identity shuffles (e.g. one swap of adjacent words in a long sequence) while any
  /// permutation of two distinct words (degree 1) and most shuffles of longer sequences pass.
  double min_shuffle_degree = 0.5;
  int max_reshuffles = 100;
  uint64_t seed = 2020;  ///< AdvRACE's random.seed(2020)
};

/// Diagnostics of one attacked example.
struct AttackInfo {
  double shuffle_degree = 0.0;     ///< mean over shuffled sequences; 0 when none
  int shuffled_sequences = 0;      ///< sequences shuffled (0 for the unshuffled attacks)
  int reshuffles = 0;              ///< re-shuffles over all sequences
  int unmet = 0;                   ///< sequences kept as best effort (constraints not met)
  int64_t option_words_before = 0;  ///< words of all options before the attack
  int64_t option_words_after = 0;   ///< and after
  /// Relative change of the mean option length in words: (after - before) / before; 0 when
  /// before is 0. E.g. 0.5 = options are 50% longer.
  double option_length_change = 0.0;
};

/// The attacked copy of `example` (id and origin kept). InputError when answer is not an option
/// index, when a sentence attack needs a sentence and the passage has none while there is a wrong
/// option, or for bad options (min_shuffle_degree outside [0, 1], max_reshuffles < 0).
McExample attack_example(const McExample& example, Attack attack, const AttackOptions& options,
                         uint64_t example_index, AttackInfo* info = nullptr);

/// Diagnostics of an attacked set.
struct AttackSummary {
  int64_t examples = 0;
  int64_t shuffled_sequences = 0;
  double mean_shuffle_degree = 0.0;  ///< over all shuffled sequences; 0 when none
  int64_t reshuffles = 0;
  int64_t unmet = 0;
  int64_t option_words_before = 0;
  int64_t option_words_after = 0;
  double option_length_change = 0.0;  ///< (after - before) / before over the whole set
};
nlohmann::json attack_summary_json(const AttackSummary& s);

/// Attacks every example, example_index = position in `examples`; `infos`, when given, receives
/// each example's AttackInfo (in order).
std::vector<McExample> attack_set(const std::vector<McExample>& examples, Attack attack,
                                  const AttackOptions& options, AttackSummary* summary = nullptr,
                                  std::vector<AttackInfo>* infos = nullptr);

/// An attacked (or any) set as a JSON array of {"id", "passage", "question", "options",
/// "answer", "added_to_passage", "attacked_options"} objects: the last two say what the attack
/// wrote (the text appended to the passage, "" for none; the indices of rewritten options).
nlohmann::json attacked_set_json(const std::vector<McExample>& examples);

}  // namespace bertology
