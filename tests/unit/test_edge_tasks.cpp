// Edge-probing targets (pipeline/probe/edge_tasks.h) against hand-written answers: the jiant
// JSON-lines reader on a fixture and its one-line FILE:LINE errors, POS / dependency / constituent
// targets of hand-made sentences (jiant's conventions: the root points at itself, every
// non-terminal node is a target), coreference pairs of a hand-made document, word → wordpiece spans,
// and Tenney's cumulative scoring (Δ, Ē_Δ) and center of gravity on given scores.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "pipeline/coref/coref_document.h"
#include "pipeline/probe/edge_tasks.h"
#include "pipeline/probe/tree_metrics.h"
#include "pipeline/util/error.h"
#include "tests/support/scratch.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

const fs::path kFixtures = BERTOLOGY_FIXTURES_DIR;

std::string error_of(const std::string& path) {
  try {
    read_jiant_edges(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

TEST(EdgeTasks, ReadsJiantJsonLines) {
  const std::string path = (kFixtures / "edge" / "jiant_sample.json").string();
  const auto records = read_jiant_edges(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].words, (std::vector<std::string>{"The", "old", "man", "saw", "a", "dog", "."}));
  ASSERT_EQ(records[0].targets.size(), 2u);
  EXPECT_EQ(records[0].targets[0].span1_begin, 0);
  EXPECT_EQ(records[0].targets[0].span1_end, 3);
  EXPECT_EQ(records[0].targets[0].span2_begin, 4);
  EXPECT_EQ(records[0].targets[0].span2_end, 6);
  EXPECT_EQ(records[0].targets[0].labels, (std::vector<std::string>{"saw"}));
  EXPECT_EQ(records[0].targets[1].labels, (std::vector<std::string>{"seen", "animal"}));
  EXPECT_EQ(records[0].origin, path + ":1");
  EXPECT_EQ(records[1].words, (std::vector<std::string>{"Rain", "fell"}));  // the blank line is skipped
  EXPECT_EQ(records[1].origin, path + ":3");
  EXPECT_TRUE(records[1].targets[0].labels.empty());
  EXPECT_TRUE(records[2].targets.empty());
}

TEST(EdgeTasks, JiantErrorsNameTheFileAndLine) {
  const fs::path dir = test::scratch("edge_tasks_errors");
  const std::string good = R"({"text": "a b c", "targets": [{"span1": [0, 1], "label": "x"}]})";
  const auto bad = [&](const std::string& name, const std::string& line) {
    return error_of(write(dir / name, good + "\n" + line + "\n"));
  };
  EXPECT_EQ(bad("json.json", R"({"text": "a b", "targets": [)"), (dir / "json.json").string() + ":2: malformed JSON (byte 29)");
  EXPECT_EQ(bad("past.json", R"({"text": "a b", "targets": [{"span1": [1, 3], "label": "x"}]})"),
            (dir / "past.json").string() + ":2: \"span1\" [1, 3) is empty or outside the sentence's 2 words");
  EXPECT_EQ(bad("empty.json", R"({"text": "a b", "targets": [{"span1": [1, 1], "label": "x"}]})"),
            (dir / "empty.json").string() + ":2: \"span1\" [1, 1) is empty or outside the sentence's 2 words");
  EXPECT_EQ(bad("side.json", R"({"text": "a b", "targets": [{"span1": [0, 1], "span2": [1, 2], "label": "x"}]})"),
            (dir / "side.json").string() + ":2: \"span2\" is on some targets of the file only");
  EXPECT_EQ(bad("label.json", R"({"text": "a b", "targets": [{"span1": [0, 1]}]})"),
            (dir / "label.json").string() + ":2: a target has no \"label\"");
  EXPECT_EQ(bad("text.json", R"({"targets": []})"), (dir / "text.json").string() + ":2: no \"text\" string");
  EXPECT_EQ(error_of(write(dir / "none.json", "\n")), (dir / "none.json").string() +
                                                          ": no records (expected JSON lines with \"text\" and \"targets\")");
  EXPECT_NE(error_of((dir / "missing.json").string()).find("no such file"), std::string::npos);
}

Sentence annotated(const std::vector<std::string>& words, const std::vector<std::string>& xpos,
                   const std::vector<int>& heads, const std::vector<std::string>& deprels) {
  Sentence s;
  s.words = words;
  s.origin = "hand:1";
  for (size_t k = 0; k < words.size(); ++k) s.annotations.push_back({"", "_", xpos[k], heads[k], deprels[k], ""});
  return s;
}

TEST(EdgeTasks, PosAndDependencyTargets) {
  const Sentence s = annotated({"Dogs", "bark", "loudly"}, {"NNS", "VBP", "RB"}, {2, 0, 2}, {"nsubj", "root", "advmod"});
  const auto pos = corpus_edge_targets(EdgeCorpusTask::Pos, s, nullptr);
  ASSERT_EQ(pos.size(), 3u);
  EXPECT_EQ(pos[1].span1_begin, 1);
  EXPECT_EQ(pos[1].span1_end, 2);
  EXPECT_EQ(pos[1].span2_begin, -1);
  EXPECT_EQ(pos[1].labels, (std::vector<std::string>{"VBP"}));
  const auto deps = corpus_edge_targets(EdgeCorpusTask::Deps, s, nullptr);
  ASSERT_EQ(deps.size(), 3u);
  // span 1 = the dependent, span 2 = its head; the root's head is itself (jiant's ud_to_json.py).
  EXPECT_EQ(std::make_pair(deps[0].span1_begin, deps[0].span2_begin), std::make_pair(0, 1));
  EXPECT_EQ(std::make_pair(deps[1].span1_begin, deps[1].span2_begin), std::make_pair(1, 1));
  EXPECT_EQ(deps[1].labels, (std::vector<std::string>{"root"}));
  EXPECT_EQ(std::make_pair(deps[2].span1_begin, deps[2].span2_begin), std::make_pair(2, 1));
}

TEST(EdgeTasks, ConstituentTargetsAreEveryNonTerminalNode) {
  const auto trees = parse_ptb("( (S (NP-SBJ (DT The) (NN dog)) (VP (VBD barked)) (. .)) )", "hand.mrg");
  ASSERT_EQ(trees.size(), 1u);
  Sentence s;
  s.words = {"The", "dog", "barked", "."};
  const auto t = corpus_edge_targets(EdgeCorpusTask::Consts, s, &trees[0]);
  // S [0, 4), NP [0, 2), VP [1 word: 2, 3); the wrapper bracket and the preterminals are not targets.
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].labels, (std::vector<std::string>{"S"}));
  EXPECT_EQ(std::make_pair(t[0].span1_begin, t[0].span1_end), std::make_pair(0, 4));
  EXPECT_EQ(t[1].labels, (std::vector<std::string>{"NP"}));
  EXPECT_EQ(std::make_pair(t[1].span1_begin, t[1].span1_end), std::make_pair(0, 2));
  EXPECT_EQ(t[2].labels, (std::vector<std::string>{"VP"}));
  EXPECT_EQ(std::make_pair(t[2].span1_begin, t[2].span1_end), std::make_pair(2, 3));
  s.words.pop_back();
  EXPECT_THROW(corpus_edge_targets(EdgeCorpusTask::Consts, s, &trees[0]), InputError);
  EXPECT_THROW(corpus_edge_targets(EdgeCorpusTask::Consts, s, nullptr), InputError);
  EXPECT_THROW(parse_edge_corpus_task("srl"), InputError);
}

TEST(EdgeTasks, EntityTargetsFromGumBrackets) {
  Sentence s = annotated({"The", "old", "dog", "saw", "Kim", "there"}, {"DT", "JJ", "NN", "VBD", "NNP", "RB"},
                         {3, 3, 4, 0, 4, 4}, {"det", "amod", "nsubj", "root", "obj", "advmod"});
  s.annotations[0].misc = "Entity=(1-animal-new-cf1-3-sgl(2-abstract-x";  // 2 stays open: crosses the sentence
  s.annotations[2].misc = "SpaceAfter=No|Entity=1)";
  s.annotations[4].misc = "Entity=(3-person-giv:act-cf2-1-coref)";
  s.annotations[5].misc = "Entity=9)";  // closes a mention of an earlier sentence: not a target
  const auto t = corpus_edge_targets(EdgeCorpusTask::Entities, s, nullptr);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(std::make_pair(t[0].span1_begin, t[0].span1_end), std::make_pair(0, 3));
  EXPECT_EQ(t[0].labels, (std::vector<std::string>{"animal"}));
  EXPECT_EQ(std::make_pair(t[1].span1_begin, t[1].span1_end), std::make_pair(4, 5));
  EXPECT_EQ(t[1].labels, (std::vector<std::string>{"person"}));
  s.annotations[4].misc = "Entity=(3)";
  EXPECT_THROW(corpus_edge_targets(EdgeCorpusTask::Entities, s, nullptr), InputError);
}

TEST(EdgeTasks, CoreferencePairsWithinSentences) {
  CorefDocument d;
  d.id = "doc";
  d.origin = "hand:1";
  d.words = {"Anna", "met", "Bo", ".", "She", "smiled", "at", "him", "and", "her", "."};
  d.sentence_starts = {0, 4};
  // Entities: 1 = Anna / She / her, 2 = Bo / him. Sentence 1 holds Anna and Bo; sentence 2 She, him, her.
  d.mentions = {{0, 1, 1, 0, MentionType::Proper}, {2, 3, 2, 2, MentionType::Proper},
                {4, 5, 1, 4, MentionType::Pronoun}, {7, 8, 2, 7, MentionType::Pronoun},
                {9, 10, 1, 9, MentionType::Pronoun}};
  const auto records = coref_edge_records({d});
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(records[0].targets.size(), 1u);  // (Bo, Anna): different entities
  EXPECT_EQ(records[0].targets[0].labels, (std::vector<std::string>{"0"}));
  EXPECT_EQ(records[1].words.size(), 7u);
  ASSERT_EQ(records[1].targets.size(), 3u);  // (him, She) 0, (her, She) 1, (her, him) 0
  EXPECT_EQ(std::make_pair(records[1].targets[0].span1_begin, records[1].targets[0].span2_begin), std::make_pair(3, 0));
  EXPECT_EQ(records[1].targets[0].labels, (std::vector<std::string>{"0"}));
  EXPECT_EQ(std::make_pair(records[1].targets[1].span1_begin, records[1].targets[1].span2_begin), std::make_pair(5, 0));
  EXPECT_EQ(records[1].targets[1].labels, (std::vector<std::string>{"1"}));
  EXPECT_EQ(records[1].targets[2].labels, (std::vector<std::string>{"0"}));
}

TEST(EdgeTasks, WordSpansToWordpieceSpans) {
  // [CLS] the dog ##gy bark ##s [SEP]: words 0, 1, 2 own pieces [1, 2), [2, 4), [4, 6).
  const std::vector<int32_t> word_ids = {-1, 0, 1, 1, 2, 2, -1};
  EXPECT_EQ(piece_span(word_ids, 1, 2), std::make_pair(2, 4));
  EXPECT_EQ(piece_span(word_ids, 0, 3), std::make_pair(1, 6));
  EXPECT_EQ(piece_span(word_ids, 3, 4), std::make_pair(-1, -1));  // truncated away
}

TEST(EdgeTasks, CumulativeScoringByHand) {
  // Tenney et al. 2019: Δ_l = s_l − s_{l−1}; Ē_Δ = Σ l Δ_l / Σ Δ_l; Ē_s = Σ l s_l.
  // Scores 80, 86, 89, 88, 90: Δ = 6, 3, −1, 2 (sum 10), Σ l Δ_l = 6 + 6 − 3 + 8 = 17 → 1.7.
  EXPECT_NEAR(expected_layer({80, 86, 89, 88, 90}), 1.7, 1e-12);
  // Weights 0.1, 0.2, 0.3, 0.4: 0 + 0.2 + 0.6 + 1.2 = 2.0.
  EXPECT_NEAR(center_of_gravity({0.1, 0.2, 0.3, 0.4}), 2.0, 1e-12);
}

}  // namespace
}  // namespace bertology
