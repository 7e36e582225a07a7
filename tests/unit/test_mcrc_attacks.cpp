// Tests of pipeline/mcrc/attacks.h, unanswerable.h and baselines.h (Si et al. 2019 §3–4,
// REPLICATION.md §3.2–3.3): tokenisation, ShuffleDegree on hand-computed edit distances, the
// constrained shuffle (threshold, forbidden runs, best effort), every attack on a hand-made
// example checked against its definition, seeded reproducibility, the exact-match re-shuffle rule,
// JSON export, the un-answerable transforms and the random / longest baselines.
#include <gtest/gtest.h>

#include <cmath>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "pipeline/mcrc/attacks.h"
#include "pipeline/mcrc/baselines.h"
#include "pipeline/mcrc/mc_example.h"
#include "pipeline/mcrc/unanswerable.h"
#include "pipeline/util/error.h"
#include "tests/support/unit.h"

namespace bertology {
namespace {

using test::input_error;

using Words = std::vector<std::string>;

Words sorted(Words w) {
  std::sort(w.begin(), w.end());
  return w;
}

bool is_permutation_of(const Words& a, const Words& b) { return sorted(a) == sorted(b); }

Words concat(Words a, const Words& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Passage with four sentences (one ends in '!', one in '?', the last without a space after).
const char* const kPassage =
    "Tom has a red ball. He plays with it every day! Does Tom like the ball? Yes, he does.";
const Words kSentences = {"Tom has a red ball.", "He plays with it every day!", "Does Tom like the ball?",
                          "Yes, he does."};

McExample example() {
  McExample e;
  e.id = "toy-0";
  e.origin = "toy.json:0";
  e.passage = kPassage;
  e.question = "What color is Tom's ball?";
  e.options = {"it is blue", "it is red", "a yellow sun", "the big black dog"};
  e.answer = 1;
  return e;
}

/// The passage sentence whose words are a permutation of `words` (those are `extra`'s remainder);
/// "" when none is.
std::string sentence_matching(const Words& words) {
  for (const std::string& s : kSentences)
    if (is_permutation_of(words, split_words(s))) return s;
  return "";
}

// ---- tokenisation -----------------------------------------------------------------------------

TEST(McrcAttacksTokens, SplitWordsOnWhitespaceOnly) {
  EXPECT_EQ(split_words("  The cat\tsat.\n\r on  it "), (Words{"The", "cat", "sat.", "on", "it"}));
  EXPECT_EQ(split_words("Tom's ball,red"), (Words{"Tom's", "ball,red"}));
  EXPECT_TRUE(split_words("").empty());
  EXPECT_TRUE(split_words(" \t\n").empty());
  EXPECT_EQ(join_words({"a", "b", "c"}), "a b c");
  EXPECT_EQ(join_words({}), "");
}

TEST(McrcAttacksTokens, SplitSentencesAfterTerminatorAndSpace) {
  EXPECT_EQ(split_sentences(kPassage), kSentences);
  // Not cut inside "3.5" (no space after '.'), cut after "Mr." (simple rule), newline counts.
  EXPECT_EQ(split_sentences("I ate 3.5 apples.\nMr. Smith came!  "),
            (Words{"I ate 3.5 apples.", "Mr.", "Smith came!"}));
  EXPECT_EQ(split_sentences("no terminator here"), (Words{"no terminator here"}));
  // '."' is not followed by a space directly after the '.', so no cut there.
  EXPECT_EQ(split_sentences("He said \"hi.\" Then left."), (Words{"He said \"hi.\" Then left."}));
  EXPECT_EQ(split_sentences("Wow!! Really?"), (Words{"Wow!!", "Really?"}));
  EXPECT_TRUE(split_sentences("").empty());
  EXPECT_TRUE(split_sentences("   ").empty());
}

// ---- ShuffleDegree ----------------------------------------------------------------------------

TEST(McrcAttacksDegree, HandComputedEditDistances) {
  // identity: 0
  EXPECT_EQ(word_edit_distance({"a", "b", "c"}, {"a", "b", "c"}), 0u);
  EXPECT_DOUBLE_EQ(shuffle_degree({"a", "b", "c"}, {"a", "b", "c"}), 0.0);
  // swap of the outer words of three: substitute a->c and c->a = 2; 2/3
  EXPECT_EQ(word_edit_distance({"a", "b", "c"}, {"c", "b", "a"}), 2u);
  EXPECT_DOUBLE_EQ(shuffle_degree({"a", "b", "c"}, {"c", "b", "a"}), 2.0 / 3.0);
  // rotation: delete the leading a, insert it at the end = 2; 2/4
  EXPECT_EQ(word_edit_distance({"a", "b", "c", "d"}, {"b", "c", "d", "a"}), 2u);
  EXPECT_DOUBLE_EQ(shuffle_degree({"a", "b", "c", "d"}, {"b", "c", "d", "a"}), 0.5);
  // two words swapped: 2 substitutions; 2/2
  EXPECT_DOUBLE_EQ(shuffle_degree({"a", "b"}, {"b", "a"}), 1.0);
  // three adjacent swaps: insert b in front, b->d, d->f, delete the final f = 4 (not 6); 4/6
  EXPECT_EQ(word_edit_distance({"a", "b", "c", "d", "e", "f"}, {"b", "a", "d", "c", "f", "e"}), 4u);
  EXPECT_DOUBLE_EQ(shuffle_degree({"a", "b", "c", "d", "e", "f"}, {"b", "a", "d", "c", "f", "e"}), 4.0 / 6.0);
  // kitten -> sitting on "words": k->s, e->i, insert g = 3; 3/6 (length of the original)
  EXPECT_EQ(word_edit_distance({"k", "i", "t", "t", "e", "n"}, {"s", "i", "t", "t", "i", "n", "g"}), 3u);
  EXPECT_DOUBLE_EQ(shuffle_degree({"k", "i", "t", "t", "e", "n"}, {"s", "i", "t", "t", "i", "n", "g"}), 0.5);
  // word level, not character level: "the cat sat" -> "a cat sat down": the->a, insert down = 2
  EXPECT_DOUBLE_EQ(shuffle_degree(split_words("the cat sat"), split_words("a cat sat down")), 2.0 / 3.0);
  // empty original: 0 by definition; distance against empty = length
  EXPECT_DOUBLE_EQ(shuffle_degree({}, {"a"}), 0.0);
  EXPECT_EQ(word_edit_distance({"a", "b"}, {}), 2u);
  EXPECT_EQ(word_edit_distance({}, {"a", "b", "c"}), 3u);
}

TEST(McrcAttacksDegree, ContainsRun) {
  EXPECT_TRUE(contains_run({"x", "c", "d", "y"}, {"c", "d"}));
  EXPECT_FALSE(contains_run({"x", "d", "c", "y"}, {"c", "d"}));
  EXPECT_FALSE(contains_run({"c", "x", "d"}, {"c", "d"}));
  EXPECT_FALSE(contains_run({"c", "d"}, {}));
  EXPECT_TRUE(contains_run({"c", "d"}, {"c", "d"}));
}

// ---- randomness -------------------------------------------------------------------------------

TEST(McrcAttacksRandom, GoldenShuffleIsPlatformIndependent) {
  // std::mt19937_64 is fully specified: the 10000th output of the default engine.
  std::mt19937_64 standard;
  standard.discard(9999);
  EXPECT_EQ(standard(), 9981545732273789042ULL);
  // Our seed mixing and Fisher-Yates (values recorded from this implementation; a change to
  // either changes every attacked set, so it must show up here).
  EXPECT_EQ(example_seed(2020, 0), 3540973592802646227ULL);
  std::mt19937_64 engine(example_seed(2020, 0));
  std::vector<int> v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  fisher_yates(v, engine);
  EXPECT_EQ(v, (std::vector<int>{9, 3, 5, 0, 1, 6, 2, 8, 7, 4}));
  EXPECT_NE(example_seed(2020, 0), example_seed(2020, 1));
  EXPECT_NE(example_seed(2020, 0), example_seed(2021, 0));
}

TEST(McrcAttacksRandom, UniformBelowStaysInRangeAndCoversIt) {
  std::mt19937_64 engine(7);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 5000; ++i) {
    const uint64_t r = uniform_below(engine, 5);
    ASSERT_LT(r, 5u);
    ++counts[r];
  }
  for (int c : counts) EXPECT_GT(c, 800);  // expected 1000 each
  EXPECT_EQ(uniform_below(engine, 1), 0u);
}

// ---- constrained shuffle ----------------------------------------------------------------------

TEST(McrcAttacksShuffle, ThresholdIsMet) {
  const Words original = {"a", "b", "c", "d", "e"};
  for (uint64_t i = 0; i < 50; ++i) {
    std::mt19937_64 engine(example_seed(1, i));
    const ShuffleResult r = constrained_shuffle(original, engine, 1.0, 100);
    EXPECT_TRUE(is_permutation_of(r.words, original));
    EXPECT_TRUE(r.met);
    EXPECT_DOUBLE_EQ(r.degree, 1.0);
    EXPECT_DOUBLE_EQ(r.degree, shuffle_degree(original, r.words));
  }
}

TEST(McrcAttacksShuffle, BestEffortPrefersNoForbiddenRunThenDegree) {
  // "a b" has degree 0; "b a" has degree 1 but is forbidden: nothing can be accepted with
  // threshold 1. Best effort keeps the free try "a b" and reports it unmet after all re-shuffles.
  std::mt19937_64 engine(example_seed(3, 0));
  const ShuffleResult r = constrained_shuffle({"a", "b"}, engine, 1.0, 20, {{"b", "a"}});
  EXPECT_EQ(r.words, (Words{"a", "b"}));
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.reshuffles, 20);
  EXPECT_DOUBLE_EQ(r.degree, 0.0);
  // Without the forbidden run the threshold can be met.
  std::mt19937_64 engine2(example_seed(3, 0));
  const ShuffleResult r2 = constrained_shuffle({"a", "b"}, engine2, 1.0, 20);
  EXPECT_EQ(r2.words, (Words{"b", "a"}));
  EXPECT_TRUE(r2.met);
}

TEST(McrcAttacksShuffle, SequenceThatCannotChangeIsNotReshuffled) {
  std::mt19937_64 engine(1);
  ShuffleResult r = constrained_shuffle({"z", "z", "z"}, engine, 0.5, 100);
  EXPECT_EQ(r.words, (Words{"z", "z", "z"}));
  EXPECT_EQ(r.reshuffles, 0);
  EXPECT_FALSE(r.met);
  r = constrained_shuffle({"one"}, engine, 0.0, 100);
  EXPECT_TRUE(r.met);
  r = constrained_shuffle({}, engine, 0.5, 100);
  EXPECT_TRUE(r.words.empty());
  EXPECT_FALSE(r.met);
}

// ---- attack names -----------------------------------------------------------------------------

TEST(McrcAttacksNames, RoundTripAndError) {
  EXPECT_EQ(all_attacks().size(), 7u);
  for (Attack a : all_attacks()) EXPECT_EQ(parse_attack(attack_name(a)), a);
  EXPECT_STREQ(attack_name(Attack::AddSent2PasShuffle), "AddSent2Pas-Shuffle");
  EXPECT_STREQ(attack_name(Attack::Sent2OptShuffle), "Sent2Opt-Shuffle");
  EXPECT_STREQ(attack_name(Attack::AddAns2Opt), "AddAns2Opt");
  EXPECT_EQ(all_attacks().front(), Attack::AddSent2PasShuffle);  // Table 2's order
  EXPECT_EQ(all_attacks().back(), Attack::AddAns2Opt);
  const std::string msg = input_error([] { parse_attack("AddSent2Pas"); });
  EXPECT_NE(msg.find("'AddSent2Pas'"), std::string::npos) << msg;
  for (Attack a : all_attacks()) EXPECT_NE(msg.find(attack_name(a)), std::string::npos) << msg;
  EXPECT_FALSE(attack_shuffles(Attack::AddSent2Opt));
  EXPECT_FALSE(attack_shuffles(Attack::AddAns2Opt));
  EXPECT_TRUE(attack_shuffles(Attack::Ans2OptShuffle));
}

// ---- the attacks on a hand-made example -------------------------------------------------------

/// Checks that everything but the wrong options is unchanged.
void expect_only_wrong_options_changed(const McExample& in, const McExample& out) {
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.origin, in.origin);
  EXPECT_EQ(out.passage, in.passage);
  EXPECT_EQ(out.question, in.question);
  EXPECT_EQ(out.answer, in.answer);
  ASSERT_EQ(out.options.size(), in.options.size());
  EXPECT_EQ(out.options[in.answer], in.options[in.answer]);
}

TEST(McrcAttacksApply, AddSent2PasShuffleAppendsShuffledQuestionAndDistractors) {
  const McExample in = example();
  AttackInfo info;
  const McExample out = attack_example(in, Attack::AddSent2PasShuffle, AttackOptions{}, 0, &info);
  EXPECT_EQ(out.options, in.options);
  EXPECT_EQ(out.question, in.question);
  EXPECT_EQ(out.answer, in.answer);
  const std::string prefix = std::string(kPassage) + " ";
  ASSERT_EQ(out.passage.compare(0, prefix.size(), prefix), 0) << out.passage;
  const Words appended = split_words(out.passage.substr(prefix.size()));
  const Words sequence = split_words("What color is Tom's ball? it is blue a yellow sun the big black dog");
  EXPECT_TRUE(is_permutation_of(appended, sequence));
  EXPECT_NE(appended, sequence);
  EXPECT_GE(shuffle_degree(sequence, appended), 0.5);
  for (int k : {0, 2, 3}) EXPECT_FALSE(contains_run(appended, split_words(in.options[k]))) << in.options[k];
  EXPECT_EQ(info.shuffled_sequences, 1);
  EXPECT_EQ(info.unmet, 0);
  EXPECT_DOUBLE_EQ(info.shuffle_degree, shuffle_degree(sequence, appended));
  EXPECT_EQ(info.option_words_before, 13);
  EXPECT_EQ(info.option_words_after, 13);
  EXPECT_DOUBLE_EQ(info.option_length_change, 0.0);
}

TEST(McrcAttacksApply, AddSent2OptAppendsAPassageSentence) {
  const McExample in = example();
  AttackInfo info;
  const McExample out = attack_example(in, Attack::AddSent2Opt, AttackOptions{}, 0, &info);
  expect_only_wrong_options_changed(in, out);
  int64_t words_after = 0;
  for (int k = 0; k < 4; ++k) {
    words_after += static_cast<int64_t>(split_words(out.options[k]).size());
    if (k == in.answer) continue;
    const std::string prefix = in.options[k] + " ";
    ASSERT_EQ(out.options[k].compare(0, prefix.size(), prefix), 0) << out.options[k];
    const std::string sentence = out.options[k].substr(prefix.size());
    EXPECT_NE(std::find(kSentences.begin(), kSentences.end(), sentence), kSentences.end()) << sentence;
  }
  EXPECT_EQ(info.shuffled_sequences, 0);
  EXPECT_DOUBLE_EQ(info.shuffle_degree, 0.0);
  EXPECT_EQ(info.option_words_after, words_after);
  EXPECT_DOUBLE_EQ(info.option_length_change, static_cast<double>(words_after - 13) / 13.0);
}

TEST(McrcAttacksApply, AddSent2OptShuffleShufflesOptionPlusSentence) {
  const McExample in = example();
  AttackInfo info;
  const McExample out = attack_example(in, Attack::AddSent2OptShuffle, AttackOptions{}, 0, &info);
  // Same seed and index: the same sentences as AddSent2Opt (documented draw order).
  const McExample plain = attack_example(in, Attack::AddSent2Opt, AttackOptions{}, 0);
  expect_only_wrong_options_changed(in, out);
  double degree_sum = 0.0;
  for (int k = 0; k < 4; ++k) {
    if (k == in.answer) continue;
    const Words option = split_words(in.options[k]);
    const Words got = split_words(out.options[k]);
    ASSERT_GT(got.size(), option.size());
    // The words minus the option's are those of one passage sentence.
    Words rest = got;
    for (const std::string& w : option) {
      auto it = std::find(rest.begin(), rest.end(), w);
      ASSERT_NE(it, rest.end()) << w;
      rest.erase(it);
    }
    const std::string sentence = sentence_matching(rest);
    ASSERT_FALSE(sentence.empty()) << out.options[k];
    const Words original = concat(option, split_words(sentence));
    EXPECT_GE(shuffle_degree(original, got), 0.5);
    degree_sum += shuffle_degree(original, got);
    EXPECT_EQ(out.options[k], join_words(got));  // single spaces
    EXPECT_EQ(plain.options[k], in.options[k] + " " + sentence);
  }
  EXPECT_EQ(info.shuffled_sequences, 3);
  EXPECT_EQ(info.unmet, 0);
  EXPECT_NEAR(info.shuffle_degree, degree_sum / 3.0, 1e-12);
}

TEST(McrcAttacksApply, AddAns2OptIsWrongSpaceAnswer) {
  const McExample in = example();
  AttackInfo info;
  const McExample out = attack_example(in, Attack::AddAns2Opt, AttackOptions{}, 5, &info);
  expect_only_wrong_options_changed(in, out);
  EXPECT_EQ(out.options, (Words{"it is blue it is red", "it is red", "a yellow sun it is red",
                                "the big black dog it is red"}));
  // 13 words before, 6 + 3 + 6 + 7 = 22 after.
  EXPECT_EQ(info.option_words_before, 13);
  EXPECT_EQ(info.option_words_after, 22);
  EXPECT_DOUBLE_EQ(info.option_length_change, 9.0 / 13.0);
  EXPECT_EQ(info.shuffled_sequences, 0);
  // An empty wrong option gets the answer without a leading space.
  McExample e = in;
  e.options[0] = "";
  EXPECT_EQ(attack_example(e, Attack::AddAns2Opt, AttackOptions{}, 0).options[0], "it is red");
}

TEST(McrcAttacksApply, AddAns2OptShuffleShufflesOptionPlusAnswer) {
  const McExample in = example();
  AttackInfo info;
  const McExample out = attack_example(in, Attack::AddAns2OptShuffle, AttackOptions{}, 0, &info);
  expect_only_wrong_options_changed(in, out);
  for (int k : {0, 2, 3}) {
    const Words original = concat(split_words(in.options[k]), split_words("it is red"));
    const Words got = split_words(out.options[k]);
    EXPECT_TRUE(is_permutation_of(got, original)) << out.options[k];
    EXPECT_GE(shuffle_degree(original, got), 0.5) << out.options[k];
  }
  EXPECT_EQ(info.shuffled_sequences, 3);
  EXPECT_EQ(info.unmet, 0);
  EXPECT_DOUBLE_EQ(info.option_length_change, 9.0 / 13.0);
}

TEST(McrcAttacksApply, Sent2OptShuffleReplacesWithShuffledSentence) {
  const McExample in = example();
  AttackInfo info;
  const McExample out = attack_example(in, Attack::Sent2OptShuffle, AttackOptions{}, 0, &info);
  const McExample plain = attack_example(in, Attack::AddSent2Opt, AttackOptions{}, 0);
  expect_only_wrong_options_changed(in, out);
  for (int k : {0, 2, 3}) {
    const Words got = split_words(out.options[k]);
    const std::string sentence = sentence_matching(got);
    ASSERT_FALSE(sentence.empty()) << out.options[k];
    EXPECT_GE(shuffle_degree(split_words(sentence), got), 0.5);
    EXPECT_EQ(plain.options[k], in.options[k] + " " + sentence);  // same sentence drawn
    EXPECT_FALSE(contains_run(got, split_words(in.options[k])));   // the distractor is gone
  }
  EXPECT_EQ(info.shuffled_sequences, 3);
}

TEST(McrcAttacksApply, Ans2OptShuffleReplacesWithShuffledAnswer) {
  const McExample in = example();
  for (uint64_t index = 0; index < 20; ++index) {
    AttackInfo info;
    const McExample out = attack_example(in, Attack::Ans2OptShuffle, AttackOptions{}, index, &info);
    expect_only_wrong_options_changed(in, out);
    for (int k : {0, 2, 3}) {
      EXPECT_TRUE(is_permutation_of(split_words(out.options[k]), {"it", "is", "red"})) << out.options[k];
      EXPECT_NE(out.options[k], "it is red");  // differs from the correct answer
    }
    EXPECT_EQ(info.unmet, 0);
  }
  // A one-word answer cannot differ: best effort copies it and reports it.
  McExample one = in;
  one.options[1] = "red";
  AttackInfo info;
  const McExample out = attack_example(one, Attack::Ans2OptShuffle, AttackOptions{}, 0, &info);
  EXPECT_EQ(out.options, (Words{"red", "red", "red", "red"}));
  EXPECT_EQ(info.unmet, 3);
  EXPECT_EQ(info.reshuffles, 0);
}

TEST(McrcAttacksApply, EmptyPartsAddNoSpaces) {
  // Nothing to append: the passage stays byte for byte; an empty answer appends nothing.
  McExample e;
  e.id = "empty";
  e.passage = "A passage.";
  e.question = "";
  e.options = {"", "x y"};
  e.answer = 1;
  AttackInfo info;
  EXPECT_EQ(attack_example(e, Attack::AddSent2PasShuffle, AttackOptions{}, 0, &info).passage, "A passage.");
  EXPECT_EQ(info.shuffled_sequences, 1);
  e.options = {"a b", ""};
  EXPECT_EQ(attack_example(e, Attack::AddAns2Opt, AttackOptions{}, 0).options, (Words{"a b", ""}));
  e.options = {"", "x"};
  EXPECT_EQ(attack_example(e, Attack::AddSent2Opt, AttackOptions{}, 0).options, (Words{"A passage.", "x"}));
}

TEST(McrcAttacksApply, AnswerIndexElsewhereLeavesThatOptionAlone) {
  McExample in = example();
  in.answer = 3;  // "the big black dog"
  const McExample out = attack_example(in, Attack::AddAns2Opt, AttackOptions{}, 0);
  EXPECT_EQ(out.options, (Words{"it is blue the big black dog", "it is red the big black dog",
                                "a yellow sun the big black dog", "the big black dog"}));
}

// ---- reproducibility --------------------------------------------------------------------------

TEST(McrcAttacksSeed, SameSeedSameOutputDifferentSeedDifferent) {
  const McExample in = example();
  AttackOptions a, b;
  b.seed = 7;
  for (Attack attack : all_attacks()) {
    const McExample x = attack_example(in, attack, a, 3);
    const McExample y = attack_example(in, attack, a, 3);
    EXPECT_EQ(x.passage, y.passage) << attack_name(attack);
    EXPECT_EQ(x.options, y.options) << attack_name(attack);
  }
  // The shuffled passage sequence has 15 words: other seeds or indices give other orders.
  const McExample x = attack_example(in, Attack::AddSent2PasShuffle, a, 3);
  EXPECT_NE(x.passage, attack_example(in, Attack::AddSent2PasShuffle, b, 3).passage);
  EXPECT_NE(x.passage, attack_example(in, Attack::AddSent2PasShuffle, a, 4).passage);
  const McExample s = attack_example(in, Attack::AddSent2OptShuffle, a, 3);
  EXPECT_NE(s.options, attack_example(in, Attack::AddSent2OptShuffle, b, 3).options);
}

TEST(McrcAttacksSeed, AttackSetUsesPositionAsIndex) {
  const std::vector<McExample> set = {example(), example(), example()};
  AttackSummary summary;
  std::vector<AttackInfo> infos;
  const std::vector<McExample> out = attack_set(set, Attack::AddAns2OptShuffle, AttackOptions{}, &summary, &infos);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_EQ(infos.size(), 3u);
  int64_t sequences = 0;
  double degree_sum = 0.0;
  for (std::size_t i = 0; i < 3; ++i) {
    AttackInfo info;
    EXPECT_EQ(out[i].options, attack_example(set[i], Attack::AddAns2OptShuffle, AttackOptions{}, i, &info).options);
    EXPECT_EQ(infos[i].shuffle_degree, info.shuffle_degree);
    EXPECT_EQ(infos[i].option_words_after, info.option_words_after);
    sequences += info.shuffled_sequences;
    degree_sum += info.shuffle_degree * info.shuffled_sequences;
  }
  EXPECT_NE(out[0].options, out[1].options);
  EXPECT_EQ(summary.examples, 3);
  EXPECT_EQ(summary.shuffled_sequences, sequences);
  EXPECT_NEAR(summary.mean_shuffle_degree, degree_sum / static_cast<double>(sequences), 1e-12);
  EXPECT_EQ(summary.option_words_before, 39);
  EXPECT_EQ(summary.option_words_after, 66);
  EXPECT_DOUBLE_EQ(summary.option_length_change, 27.0 / 39.0);
  const nlohmann::json j = attack_summary_json(summary);
  EXPECT_EQ(j.at("examples").get<int64_t>(), 3);
  EXPECT_EQ(j.at("unmet").get<int64_t>(), 0);
}

// ---- the exact-match re-shuffle rule ----------------------------------------------------------

TEST(McrcAttacksExactMatch, WrongOptionNeverAppearsContiguously) {
  // Sequence "x y c d": 5 of its 24 orders hold "c d" contiguously with degree >= 0.5
  // (e.g. "c d x y", degree 1), so a plain thresholded shuffle produces it now and then.
  McExample in;
  in.id = "em";
  in.passage = "P.";
  in.question = "x y";
  in.options = {"c d", "e f"};
  in.answer = 1;
  const AttackOptions options;
  int plain_hits = 0, reshuffled = 0;
  for (uint64_t index = 0; index < 200; ++index) {
    AttackInfo info;
    const McExample out = attack_example(in, Attack::AddSent2PasShuffle, options, index, &info);
    ASSERT_EQ(out.passage.substr(0, 3), "P. ");
    const Words appended = split_words(out.passage.substr(3));
    ASSERT_TRUE(is_permutation_of(appended, {"x", "y", "c", "d"}));
    EXPECT_FALSE(contains_run(appended, {"c", "d"})) << out.passage;
    EXPECT_GE(shuffle_degree({"x", "y", "c", "d"}, appended), 0.5);
    EXPECT_EQ(info.unmet, 0);
    reshuffled += info.reshuffles > 0;
    // The same engine without the rule: its first accepted shuffle.
    std::mt19937_64 engine(example_seed(options.seed, index));
    const ShuffleResult r = constrained_shuffle({"x", "y", "c", "d"}, engine, 0.5, 100);
    plain_hits += contains_run(r.words, {"c", "d"});
  }
  EXPECT_GT(plain_hits, 0);  // the rule had something to avoid
  EXPECT_GT(reshuffled, 0);
}

TEST(McrcAttacksExactMatch, OneWordOptionsAreNotForbidden) {
  // A one-word distractor is in every order of the sequence; it must not make the shuffle unmet.
  McExample in;
  in.id = "yn";
  in.passage = "It rained.";
  in.question = "did it rain today";
  in.options = {"no", "yes"};
  in.answer = 1;
  AttackInfo info;
  const McExample out = attack_example(in, Attack::AddSent2PasShuffle, AttackOptions{}, 0, &info);
  EXPECT_EQ(info.unmet, 0);
  EXPECT_TRUE(is_permutation_of(split_words(out.passage.substr(11)), {"did", "it", "rain", "today", "no"}));
}

// ---- errors -----------------------------------------------------------------------------------

TEST(McrcAttacksErrors, BadExamplesAndOptions) {
  McExample unlabelled = example();
  unlabelled.answer = -1;
  std::string msg = input_error([&] { attack_example(unlabelled, Attack::AddAns2Opt, AttackOptions{}, 0); });
  EXPECT_NE(msg.find("toy-0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("answer -1"), std::string::npos) << msg;
  McExample no_passage = example();
  no_passage.passage = "  ";
  msg = input_error([&] { attack_example(no_passage, Attack::Sent2OptShuffle, AttackOptions{}, 0); });
  EXPECT_NE(msg.find("Sent2Opt-Shuffle"), std::string::npos) << msg;
  // Attacks that need no sentence work on an empty passage.
  EXPECT_EQ(attack_example(no_passage, Attack::AddAns2Opt, AttackOptions{}, 0).passage, "  ");
  AttackOptions bad;
  bad.min_shuffle_degree = 1.5;
  msg = input_error([&] { attack_example(example(), Attack::AddAns2Opt, bad, 0); });
  EXPECT_NE(msg.find("min_shuffle_degree"), std::string::npos) << msg;
  bad = AttackOptions{};
  bad.max_reshuffles = -1;
  msg = input_error([&] { attack_example(example(), Attack::AddAns2Opt, bad, 0); });
  EXPECT_NE(msg.find("max_reshuffles"), std::string::npos) << msg;
}

// ---- JSON export ------------------------------------------------------------------------------

TEST(McrcAttacksJson, AttackedSetFields) {
  const std::vector<McExample> set = {attack_example(example(), Attack::AddAns2Opt, AttackOptions{}, 0)};
  const nlohmann::json j = attacked_set_json(set);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const nlohmann::json& e = j[0];
  EXPECT_EQ(e.size(), 7u);
  EXPECT_EQ(e.at("added_to_passage").get<std::string>(), "");
  EXPECT_EQ(e.at("attacked_options").get<std::vector<int>>(), (std::vector<int>{0, 2, 3}));
  EXPECT_EQ(e.at("id").get<std::string>(), "toy-0");
  EXPECT_EQ(e.at("passage").get<std::string>(), kPassage);
  EXPECT_EQ(e.at("question").get<std::string>(), "What color is Tom's ball?");
  EXPECT_EQ(e.at("options").get<Words>(), set[0].options);
  EXPECT_EQ(e.at("answer").get<int>(), 1);
  EXPECT_TRUE(attacked_set_json({}).is_array());
  EXPECT_TRUE(attacked_set_json({}).empty());
}

// ---- un-answerable transforms -----------------------------------------------------------------

TEST(McrcUnanswerable, RewrittenPassagesDropTheAttackMark) {
  // An attacked example's mark must not point into a passage the transform rewrote or removed.
  const McExample attacked = attack_example(example(), Attack::AddSent2PasShuffle, AttackOptions{}, 0);
  ASSERT_LT(attacked.passage_added_from, attacked.passage.size());
  for (Unanswerable u : all_unanswerable()) {
    const McExample out = make_unanswerable(attacked, u, 1, 0);
    EXPECT_EQ(out.passage_added_from, std::string::npos) << unanswerable_name(u);
    EXPECT_EQ(attacked_set_json({out})[0].at("added_to_passage").get<std::string>(), "") << unanswerable_name(u);
  }
}

TEST(McrcAttacksUnanswerable, NamesRoundTripAndError) {
  EXPECT_EQ(all_unanswerable().size(), 6u);
  for (Unanswerable u : all_unanswerable()) EXPECT_EQ(parse_unanswerable(unanswerable_name(u)), u);
  EXPECT_STREQ(unanswerable_name(Unanswerable::PQShuffle), "PQ-Shuffle");
  EXPECT_STREQ(unanswerable_name(Unanswerable::QRemove), "Q-Remove");
  const std::string msg = input_error([] { parse_unanswerable("P-shuffle"); });
  for (Unanswerable u : all_unanswerable()) EXPECT_NE(msg.find(unanswerable_name(u)), std::string::npos) << msg;
}

TEST(McrcAttacksUnanswerable, ShuffleAndRemove) {
  const McExample in = example();
  const Words passage = split_words(kPassage), question = split_words(in.question);

  const McExample p = make_unanswerable(in, Unanswerable::PShuffle, 1, 0);
  EXPECT_TRUE(is_permutation_of(split_words(p.passage), passage));
  EXPECT_NE(split_words(p.passage), passage);
  EXPECT_EQ(p.passage, join_words(split_words(p.passage)));
  EXPECT_EQ(p.question, in.question);
  EXPECT_EQ(p.options, in.options);
  EXPECT_EQ(p.answer, in.answer);
  EXPECT_EQ(p.id, in.id);

  const McExample q = make_unanswerable(in, Unanswerable::QShuffle, 1, 0);
  EXPECT_EQ(q.passage, in.passage);
  EXPECT_TRUE(is_permutation_of(split_words(q.question), question));
  EXPECT_NE(split_words(q.question), question);

  const McExample pq = make_unanswerable(in, Unanswerable::PQShuffle, 1, 0);
  EXPECT_EQ(pq.passage, p.passage);  // passage shuffled first from the same engine
  EXPECT_TRUE(is_permutation_of(split_words(pq.question), question));
  EXPECT_EQ(pq.options, in.options);

  // Reproducible; another index or seed gives another order.
  EXPECT_EQ(make_unanswerable(in, Unanswerable::PShuffle, 1, 0).passage, p.passage);
  EXPECT_NE(make_unanswerable(in, Unanswerable::PShuffle, 1, 1).passage, p.passage);
  EXPECT_NE(make_unanswerable(in, Unanswerable::PShuffle, 2, 0).passage, p.passage);

  const McExample pr = make_unanswerable(in, Unanswerable::PRemove, 1, 0);
  EXPECT_EQ(pr.passage, "");
  EXPECT_EQ(pr.question, in.question);
  const McExample qr = make_unanswerable(in, Unanswerable::QRemove, 1, 0);
  EXPECT_EQ(qr.passage, in.passage);
  EXPECT_EQ(qr.question, "");
  const McExample pqr = make_unanswerable(in, Unanswerable::PQRemove, 1, 0);
  EXPECT_EQ(pqr.passage, "");
  EXPECT_EQ(pqr.question, "");
  EXPECT_EQ(pqr.options, in.options);
  EXPECT_EQ(pqr.answer, in.answer);

  const std::vector<McExample> set = make_unanswerable_set({in, in}, Unanswerable::PShuffle, 1);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].passage, p.passage);
  EXPECT_EQ(set[1].passage, make_unanswerable(in, Unanswerable::PShuffle, 1, 1).passage);
}

// ---- baselines --------------------------------------------------------------------------------

TEST(McrcAttacksBaselines, LongestByWordsTiesToFirst) {
  McExample e;
  e.options = {"a b", "supercalifragilisticexpialidocious", "c d e", "f g h"};
  EXPECT_EQ(longest_option(e), 2);  // 3 words, tie with "f g h" -> the first
  e.options = {"x y", "x y"};
  EXPECT_EQ(longest_option(e), 0);
  e.options = {"one", "  two   words  "};
  EXPECT_EQ(longest_option(e), 1);
  e.options = {};
  EXPECT_EQ(longest_option(e), -1);
  EXPECT_EQ(option_words(" a  b\tc "), 3);
}

TEST(McrcAttacksBaselines, RandomAndAccuracy) {
  EXPECT_DOUBLE_EQ(random_baseline(4), 25.0);
  EXPECT_DOUBLE_EQ(random_baseline(2), 50.0);
  EXPECT_DOUBLE_EQ(random_baseline(3), 100.0 / 3.0);
  EXPECT_NE(input_error([] { random_baseline(0); }).find("at least one option"), std::string::npos);

  McExample a = example();  // longest is 3 ("the big black dog"), answer 1: wrong
  McExample b = example();
  b.answer = 3;  // right
  McExample c;
  c.id = "c";
  c.options = {"short", "a much longer one"};
  c.answer = 1;  // right
  const std::vector<McExample> set = {a, b, c};
  EXPECT_EQ(longest_predictions(set), (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(count_correct(set, {3, 3, 1}), 2);
  EXPECT_EQ(count_correct(set, {1, 0, 0}), 1);
  EXPECT_DOUBLE_EQ(longest_baseline(set), 200.0 / 3.0);
  EXPECT_DOUBLE_EQ(random_baseline(set), (25.0 + 25.0 + 50.0) / 3.0);
  EXPECT_DOUBLE_EQ(accuracy_percent(1, 4), 25.0);
  EXPECT_TRUE(std::isnan(accuracy_percent(0, 0)));  // no items: undefined, printed "nan"
  EXPECT_NE(input_error([&] { count_correct(set, {1}); }).find("1 predictions for 3 examples"), std::string::npos);
  McExample unlabelled = c;
  unlabelled.answer = -1;
  EXPECT_NE(input_error([&] { count_correct({unlabelled}, {0}); }).find("'c'"), std::string::npos);
}

}  // namespace
}  // namespace bertology
