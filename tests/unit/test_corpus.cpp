// Tests of the corpus readers (pipeline/corpus/): each format against small fixtures with expected
// values computed outside this code (awk/python/sha256sum, noted where used), the conventions
// shared by all formats (origins, hashing, max_sentences, line endings), and one-line errors that
// name file, line and problem for each kind of bad input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/corpus/corpus.h"
#include "pipeline/util/error.h"
#include "tests/support/unit.h"
#include "pipeline/util/sha256.h"

#ifndef BERTOLOGY_FIXTURES_DIR
#error "BERTOLOGY_FIXTURES_DIR must name tests/fixtures"
#endif

namespace bertology {
namespace {

using test::input_error;

namespace fs = std::filesystem;

const std::string kDir = std::string(BERTOLOGY_FIXTURES_DIR) + "/corpus";
const std::string kEwt = kDir + "/ewt_dev_first30.conllu";
const std::string kConllx = kDir + "/handmade.conllx";
const std::string kAux = kDir + "/open_sesame/aux.test";
const std::string kAgr = kDir + "/open_sesame/agr.4";
const std::string kDill = kDir + "/open_sesame/dill.bbu.0";
const std::string kText = kDir + "/sample.txt";
const std::string kJsonl = kDir + "/sample.jsonl";
// The README quickstart's sample lives beside the configs, two levels above tests/fixtures.
const std::string kQuickstart =
    std::string(BERTOLOGY_FIXTURES_DIR) + "/../../configs/samples/ewt_dev_sample.conllu";

std::string read_error(const std::string& path, CorpusFormat format) {
  return input_error([&] { read_corpus(path, format); });
}

using test::slurp;

size_t count_words(const Corpus& c) {
  size_t n = 0;
  for (const auto& s : c.sentences) n += s.words.size();
  return n;
}

/// Each test gets a fresh directory for the inputs it writes.
class CorpusTest : public test::ScratchDirTest {
 protected:
};

// A valid CoNLL-U word line: ID, FORM, then the remaining 8 columns.
std::string word(int id, const std::string& form, const std::string& head = "0",
                 const std::string& deprel = "root") {
  return cat(id, "\t", form, "\t", form, "\tX\tX\t_\t", head, "\t", deprel, "\t_\t_\n");
}

// ------------------------------------------------------------------------------------------------
// Format names

TEST(CorpusFormatTest, NamesRoundTrip) {
  for (const char* name : {"conllu", "conllx", "open_sesame", "text", "jsonl"}) {
    EXPECT_STREQ(corpus_format_name(parse_corpus_format(name)), name);
  }
  EXPECT_EQ(parse_corpus_format("open_sesame"), CorpusFormat::OpenSesame);
  EXPECT_EQ(parse_corpus_format("text"), CorpusFormat::PlainText);
  const std::string msg = input_error([] { parse_corpus_format("conll"); });
  EXPECT_NE(msg.find("unknown corpus format 'conll'"), std::string::npos) << msg;
}

// ------------------------------------------------------------------------------------------------
// CoNLL-U

TEST(ConlluTest, EwtSampleCountsAndHash) {
  const Corpus c = read_corpus(kEwt, CorpusFormat::Conllu);
  EXPECT_EQ(c.path, kEwt);
  EXPECT_EQ(c.format, CorpusFormat::Conllu);
  // awk 'BEGIN{RS=""} END{print NR}' ewt_dev_first30.conllu -> 30 sentences;
  // awk -F'\t' '$1 ~ /^[0-9]+$/ {w++} END {print w}' -> 698 words (integer IDs only).
  ASSERT_EQ(c.sentences.size(), 30u);
  EXPECT_EQ(count_words(c), 698u);
  // sha256sum tests/fixtures/corpus/ewt_dev_first30.conllu
  EXPECT_EQ(c.content_sha256, "cc47b2dd74951a4d286f4a8b0eb46750133fdb4df45aa02e144f8aca5ec6cd2a");
  EXPECT_EQ(c.content_sha256, sha256_file(kEwt));
  for (size_t i = 0; i < c.sentences.size(); ++i) {
    const Sentence& s = c.sentences[i];
    EXPECT_EQ(s.index, static_cast<int64_t>(i));
    EXPECT_TRUE(s.pretokenized);
    EXPECT_EQ(s.annotations.size(), s.words.size());
    EXPECT_FALSE(s.text.empty());
    EXPECT_EQ(s.fields.count("sent_id"), 1u);
  }
  // Block start lines, from a python split of the file on blank lines.
  EXPECT_EQ(c.sentences[6].origin, kEwt + ":128");
  EXPECT_EQ(c.sentences[7].origin, kEwt + ":163");
  EXPECT_EQ(c.sentences[29].origin, kEwt + ":795");
}

TEST(ConlluTest, FirstSentenceWordsCommentsAndAnnotations) {
  const Corpus c = read_corpus(kEwt, CorpusFormat::Conllu);
  const Sentence& s = c.sentences[0];
  EXPECT_EQ(s.origin, kEwt + ":1");
  EXPECT_EQ(s.words, (std::vector<std::string>{"From", "the", "AP", "comes", "this", "story", ":"}));
  EXPECT_EQ(s.text, "From the AP comes this story :");
  const std::string doc = "weblog-blogspot.com_nominations_20041117172713_ENG_20041117_172713";
  EXPECT_EQ(s.fields, (std::map<std::string, std::string>{{"newdoc id", doc},
                                                          {"sent_id", doc + "-0001"},
                                                          {"newpar id", doc + "-p0001"}}));
  // 4	comes	come	VERB	VBZ	Mood=...	0	root	0:root	_
  const WordAnnotation& comes = s.annotations[3];
  EXPECT_EQ(comes.lemma, "come");
  EXPECT_EQ(comes.upos, "VERB");
  EXPECT_EQ(comes.xpos, "VBZ");
  EXPECT_EQ(comes.head, 0);
  EXPECT_EQ(comes.deprel, "root");
  EXPECT_EQ(comes.misc, "_");
  // 3	AP	AP	PROPN	NNP	Number=Sing	4	obl	4:obl:from	_
  EXPECT_EQ(s.annotations[2].head, 4);
  EXPECT_EQ(s.annotations[2].deprel, "obl");
  EXPECT_EQ(s.annotations[2].upos, "PROPN");
  // Sentence 2, word 18: "area ... 14 nmod 14:nmod:in SpaceAfter=No".
  const WordAnnotation& area = c.sentences[1].annotations[17];
  EXPECT_EQ(c.sentences[1].words[17], "area");
  EXPECT_EQ(area.head, 14);
  EXPECT_EQ(area.deprel, "nmod");
  EXPECT_EQ(area.misc, "SpaceAfter=No");
  EXPECT_EQ(c.sentences[1].fields.count("newdoc id"), 0u);
}

TEST(ConlluTest, MultiwordTokensAreSkipped) {
  const Corpus c = read_corpus(kEwt, CorpusFormat::Conllu);
  // Sentence 7 has "29-30 didn't" then "29 did" and "30 n't": 31 words, no "didn't".
  const Sentence& s = c.sentences[6];
  ASSERT_EQ(s.words.size(), 31u);
  EXPECT_EQ(s.words[28], "did");
  EXPECT_EQ(s.words[29], "n't");
  EXPECT_EQ(s.words[30], ".");
  for (const auto& w : s.words) EXPECT_NE(w, "didn't");
  EXPECT_EQ(s.annotations[29].lemma, "not");
  EXPECT_EQ(s.annotations[29].head, 29);
  EXPECT_EQ(s.annotations[29].deprel, "advmod");
  // Sentence 8 starts with "1-2 Today's".
  const Sentence& t = c.sentences[7];
  ASSERT_EQ(t.words.size(), 16u);
  EXPECT_EQ(t.words[0], "Today");
  EXPECT_EQ(t.words[1], "'s");
  EXPECT_EQ(t.annotations[1].head, 1);
  EXPECT_EQ(t.annotations[1].deprel, "case");
  EXPECT_EQ(t.text, "Today's incident proves that Sharon has lost his patience and his hope in peace.");
}

TEST(ConlluTest, QuickstartSampleWithEmptyNode) {
  const Corpus c = read_corpus(kQuickstart, CorpusFormat::Conllu);
  // awk as in EwtSampleCountsAndHash on configs/samples/ewt_dev_sample.conllu: 200 and 4007.
  ASSERT_EQ(c.sentences.size(), 200u);
  EXPECT_EQ(count_words(c), 4007u);
  // Sentence 59 (index 58) holds the empty node "8.1 write" at line 1602; its 33 words are
  // '" They can freely write anything ...' with "write" once.
  const Sentence& s = c.sentences[58];
  ASSERT_EQ(s.words.size(), 33u);
  EXPECT_EQ(s.words[4], "write");
  EXPECT_EQ(std::count(s.words.begin(), s.words.end(), "write"), 1);
  // "8 like ... 6 acl:relcl", then "8.1 write", then "9 about ... 11 case": no shift after 8.1.
  EXPECT_EQ(s.words[7], "like");
  EXPECT_EQ(s.annotations[7].head, 6);
  EXPECT_EQ(s.annotations[7].deprel, "acl:relcl");
  EXPECT_EQ(s.words[8], "about");
  EXPECT_EQ(s.annotations[8].head, 11);
  EXPECT_EQ(s.annotations[8].deprel, "case");
}

TEST(ConlluTest, MaxSentences) {
  const Corpus c = read_corpus(kEwt, CorpusFormat::Conllu, 3);
  ASSERT_EQ(c.sentences.size(), 3u);
  EXPECT_EQ(c.sentences[2].fields.at("sent_id"),
            "weblog-blogspot.com_nominations_20041117172713_ENG_20041117_172713-0003");
  // The hash still covers the whole file: it identifies the input, not the part read.
  EXPECT_EQ(c.content_sha256, "cc47b2dd74951a4d286f4a8b0eb46750133fdb4df45aa02e144f8aca5ec6cd2a");
  EXPECT_EQ(read_corpus(kEwt, CorpusFormat::Conllu, 0).sentences.size(), 30u);
}

TEST_F(CorpusTest, ConlluWindowsLineEndingsAndNoFinalBlankLine) {
  // The fixture with "\r\n" line ends, without the final blank line and final newline.
  std::string lf = slurp(kEwt);
  while (!lf.empty() && lf.back() == '\n') lf.pop_back();
  std::string crlf;
  for (char ch : lf) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  const std::string path = write("windows.conllu", crlf);
  const Corpus a = read_corpus(kEwt, CorpusFormat::Conllu);
  const Corpus b = read_corpus(path, CorpusFormat::Conllu);
  ASSERT_EQ(b.sentences.size(), a.sentences.size());
  for (size_t i = 0; i < a.sentences.size(); ++i) {
    const Sentence& x = a.sentences[i];
    const Sentence& y = b.sentences[i];
    EXPECT_EQ(y.words, x.words);
    EXPECT_EQ(y.text, x.text);
    EXPECT_EQ(y.fields, x.fields);
    ASSERT_EQ(y.annotations.size(), x.annotations.size());
    for (size_t j = 0; j < x.annotations.size(); ++j) {
      EXPECT_EQ(y.annotations[j].misc, x.annotations[j].misc);  // last column: no "\r" left
      EXPECT_EQ(y.annotations[j].head, x.annotations[j].head);
    }
  }
  EXPECT_EQ(b.sentences.back().words.back(), "\"");
  EXPECT_EQ(b.content_sha256, sha256_hex(crlf.data(), crlf.size()));
  EXPECT_NE(b.content_sha256, a.content_sha256);
}

TEST_F(CorpusTest, ConlluBlankLinesEmptyNodesAndUnspecifiedHeads) {
  const std::string path = write(
      "misc.conllu",
      "\n\n# sent_id = a\n# newpar\n# text = We go\n" + word(1, "We", "2", "nsubj") + word(2, "go") +
          "1.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t0:root\t_\n"
          " \t\n\n\n"
          "# sent_id = b\n"
          "1\tTokens\t_\t_\t_\t_\t_\t_\t_\t_\n"
          "2\tonly\t_\t_\t_\t_\t_\t_\t_\t_\n\n\n");
  const Corpus c = read_corpus(path, CorpusFormat::Conllu);
  ASSERT_EQ(c.sentences.size(), 2u);
  const Sentence& a = c.sentences[0];
  EXPECT_EQ(a.origin, path + ":3");
  EXPECT_EQ(a.words, (std::vector<std::string>{"We", "go"}));
  EXPECT_EQ(a.text, "We go");
  EXPECT_EQ(a.fields, (std::map<std::string, std::string>{{"sent_id", "a"}}));
  EXPECT_EQ(a.annotations[0].head, 2);
  EXPECT_EQ(a.annotations[1].head, 0);
  const Sentence& b = c.sentences[1];
  EXPECT_EQ(b.origin, path + ":12");
  EXPECT_EQ(b.words, (std::vector<std::string>{"Tokens", "only"}));
  EXPECT_EQ(b.text, "");
  EXPECT_EQ(b.annotations[0].head, -1);
  EXPECT_EQ(b.annotations[1].head, -1);
  EXPECT_EQ(b.annotations[1].deprel, "_");
}

TEST_F(CorpusTest, ConlluWrongColumnCount) {
  const std::string path =
      write("cols.conllu", "# text = a b\n" + word(1, "a") + "2\tb\tb\tX\tX\t_\t1\n");
  EXPECT_EQ(read_error(path, CorpusFormat::Conllu),
            path + ":3: expected 10 tab-separated columns, found 7");
  const std::string spaces = write("spaces.conllu", "1 a a X X _ 0 root _ _\n");
  EXPECT_EQ(read_error(spaces, CorpusFormat::Conllu),
            spaces + ":1: expected 10 tab-separated columns, found 1 (columns must be separated by "
                     "tabs, not spaces)");
}

TEST_F(CorpusTest, ConlluNonIntegerHead) {
  const std::string path = write("head.conllu", word(1, "a") + word(2, "b", "x", "dep"));
  EXPECT_EQ(read_error(path, CorpusFormat::Conllu),
            path + ":2: HEAD must be a word ID (0 for the root) or '_', found 'x'");
  const std::string negative = write("negative.conllu", word(1, "a", "-1"));
  EXPECT_EQ(read_error(negative, CorpusFormat::Conllu),
            negative + ":1: HEAD must be a word ID (0 for the root) or '_', found '-1'");
}

TEST_F(CorpusTest, ConlluHeadOutOfRange) {
  const std::string path =
      write("range.conllu", word(1, "a") + "\n" + word(1, "b") + word(2, "c", "3", "dep") + "\n");
  EXPECT_EQ(read_error(path, CorpusFormat::Conllu),
            path + ":4: HEAD 3 out of range (sentence has 2 words)");
}

TEST_F(CorpusTest, ConlluPartlyUnspecifiedHeads) {
  const std::string path = write("partial.conllu", word(1, "a") + word(2, "b", "_", "_"));
  EXPECT_EQ(read_error(path, CorpusFormat::Conllu),
            path + ":2: HEAD '_' while other words of the sentence have heads (a tree must be "
                   "complete or absent)");
}

TEST_F(CorpusTest, ConlluNonConsecutiveIds) {
  const std::string path = write("ids.conllu", word(1, "a") + word(3, "b", "1", "dep"));
  EXPECT_EQ(read_error(path, CorpusFormat::Conllu),
            path + ":2: word ID 3 where 2 was expected (IDs count 1, 2, 3, ... in each sentence)");
  // A missing blank line makes the next sentence restart at 1: say so.
  const std::string joined = write("joined.conllu", word(1, "a") + word(1, "b"));
  const std::string msg = read_error(joined, CorpusFormat::Conllu);
  EXPECT_EQ(msg.rfind(joined + ":2: word ID 1 where 2 was expected", 0), 0u) << msg;
  EXPECT_NE(msg.find("blank line"), std::string::npos) << msg;
  const std::string bad = write("badid.conllu", word(1, "a") + "two\tb\tb\tX\tX\t_\t1\tdep\t_\t_\n");
  EXPECT_EQ(read_error(bad, CorpusFormat::Conllu),
            bad + ":2: ID must be an integer, a range like 3-4 or a decimal like 8.1, found 'two'");
}

TEST_F(CorpusTest, ConlluEmptyFormAndWordlessSentence) {
  const std::string form = write("form.conllu", word(1, "a") + "2\t\tb\tX\tX\t_\t1\tdep\t_\t_\n");
  EXPECT_EQ(read_error(form, CorpusFormat::Conllu), form + ":2: empty FORM for word 2");
  const std::string comments = write("comments.conllu", word(1, "a") + "\n# sent_id = 2\n");
  EXPECT_EQ(read_error(comments, CorpusFormat::Conllu),
            comments + ":3: sentence has no words (only comments, multiword-token ranges or empty "
                       "nodes)");
}

// ------------------------------------------------------------------------------------------------
// CoNLL-X

TEST(ConllxTest, HandmadeSample) {
  const Corpus c = read_corpus(kConllx, CorpusFormat::Conllx);
  ASSERT_EQ(c.sentences.size(), 3u);
  // sha256sum tests/fixtures/corpus/handmade.conllx
  EXPECT_EQ(c.content_sha256, "152ea3538a8bb38f8e12c2fc7521926521d86fae17376f1d86f5aab00f796bde");
  const Sentence& a = c.sentences[0];
  EXPECT_EQ(a.origin, kConllx + ":1");
  EXPECT_EQ(a.words,
            (std::vector<std::string>{"The", "committee", "approved", "the", "budget", "."}));
  EXPECT_TRUE(a.text.empty());
  EXPECT_TRUE(a.fields.empty());
  const WordAnnotation& committee = a.annotations[1];
  EXPECT_EQ(committee.lemma, "committee");
  EXPECT_EQ(committee.upos, "N");   // CPOSTAG
  EXPECT_EQ(committee.xpos, "NN");  // POSTAG
  EXPECT_EQ(committee.head, 3);
  EXPECT_EQ(committee.deprel, "SBJ");
  EXPECT_EQ(committee.misc, "");  // CoNLL-X has no MISC; PHEAD/PDEPREL are not kept
  // Two blank lines before the second sentence, none after the last one.
  EXPECT_EQ(c.sentences[1].origin, kConllx + ":9");
  EXPECT_EQ(c.sentences[1].words,
            (std::vector<std::string>{"Rain", "fell", "all", "night", "."}));
  EXPECT_EQ(c.sentences[1].annotations[3].deprel, "TMP");
  const Sentence& last = c.sentences[2];
  EXPECT_EQ(last.origin, kConllx + ":15");
  EXPECT_EQ(last.words, (std::vector<std::string>{"She", "smiled", "."}));
  EXPECT_EQ(last.annotations[2].head, 2);
  EXPECT_EQ(last.annotations[2].deprel, "P");
  EXPECT_EQ(last.annotations[2].misc, "");
  EXPECT_EQ(read_corpus(kConllx, CorpusFormat::Conllx, 2).sentences.size(), 2u);
}

TEST_F(CorpusTest, ConllxRejectsConlluIds) {
  const std::string path = write("mwt.conllx", "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" +
                                                   word(1, "do") + word(2, "n't", "1", "neg"));
  const std::string msg = read_error(path, CorpusFormat::Conllx);
  EXPECT_EQ(msg.rfind(path + ":1: ID '1-2' is a CoNLL-U multiword range", 0), 0u) << msg;
  // The same file is fine as CoNLL-U.
  EXPECT_EQ(read_corpus(path, CorpusFormat::Conllu).sentences[0].words,
            (std::vector<std::string>{"do", "n't"}));
}

// ------------------------------------------------------------------------------------------------
// Open Sesame

TEST(OpenSesameTest, AuxWithPosTags) {
  const Corpus c = read_corpus(kAux, CorpusFormat::OpenSesame);
  ASSERT_EQ(c.sentences.size(), 5u);
  // sha256sum tests/fixtures/corpus/open_sesame/aux.test
  EXPECT_EQ(c.content_sha256, "e0ca2b4773de58bedc072ea808b142bd9f8cf109f333e7526ef8a89ae08014a1");
  const Sentence& s = c.sentences[0];
  EXPECT_EQ(s.origin, kAux + ":1");
  EXPECT_TRUE(s.pretokenized);
  ASSERT_EQ(s.words.size(), 28u);  // cut -f1 | wc -w
  EXPECT_EQ(s.words[0], "some");
  EXPECT_EQ(s.words[17], "can");
  EXPECT_EQ(s.words[27], "remember");
  EXPECT_EQ(s.fields, (std::map<std::string, std::string>{{"target", "17"}}));
  ASSERT_EQ(s.annotations.size(), 28u);
  EXPECT_EQ(s.annotations[17].xpos, "MAux");  // the target is the main-clause auxiliary
  EXPECT_EQ(s.annotations[0].xpos, "Det");
  EXPECT_EQ(s.annotations[27].xpos, "VT");
  EXPECT_EQ(s.annotations[17].head, -1);
  EXPECT_EQ(c.sentences[4].words,
            (std::vector<std::string>{"some", "fish", "behind", "some", "ants", "can", "hurt", "your",
                                      "young", "fish", "below", "my", "dog"}));
  EXPECT_EQ(c.sentences[4].fields.at("target"), "5");
  EXPECT_EQ(c.sentences[4].origin, kAux + ":5");
}

TEST(OpenSesameTest, AgreementFourFields) {
  const Corpus c = read_corpus(kAgr, CorpusFormat::OpenSesame, 2);
  ASSERT_EQ(c.sentences.size(), 2u);
  const Sentence& s = c.sentences[1];
  EXPECT_EQ(s.words, (std::vector<std::string>{"her", "worm", "below", "your", "wolf", "would",
                                               "move"}));
  EXPECT_EQ(s.text, "her worm below your wolf would move");
  // Raw strings, the trailing space of the distractor field included.
  EXPECT_EQ(s.fields, (std::map<std::string, std::string>{
                          {"target", "5"}, {"subject", "0 1"}, {"distractors", "3 4 "}}));
  std::vector<std::string> tags;
  for (const auto& a : s.annotations) tags.push_back(a.xpos);
  EXPECT_EQ(tags, (std::vector<std::string>{"Det", "N_sg", "Prep", "Det", "N_sg", "Aux", "VI"}));
}

TEST(OpenSesameTest, DillWithoutPosFile) {
  const Corpus c = read_corpus(kDill, CorpusFormat::OpenSesame);
  ASSERT_EQ(c.sentences.size(), 3u);
  const Sentence& s = c.sentences[0];
  ASSERT_EQ(s.words.size(), 15u);
  EXPECT_EQ(s.words[10], "was");
  EXPECT_EQ(s.words[14], "shifts.");
  EXPECT_TRUE(s.annotations.empty());
  EXPECT_EQ(s.fields.at("target"), "10");
  EXPECT_EQ(s.fields.at("subject"), "0 1 2 ");
  EXPECT_EQ(s.fields.at("distractors"), "6 7 8 ");
}

TEST_F(CorpusTest, OpenSesameIndexOutOfRange) {
  const std::string path = write("os", "a b c d e f g\t3\nthe cat is here now and gone\t12\n");
  EXPECT_EQ(read_error(path, CorpusFormat::OpenSesame),
            path + ":2: target index 12 out of range (7 words)");
  const std::string subj = write("subj", "a b c\t2\t0 x\t\n");
  EXPECT_EQ(read_error(subj, CorpusFormat::OpenSesame),
            subj + ":1: subject index 'x' is not a non-negative integer");
  const std::string distr = write("distr", "a b c\t2\t0\t3 \n");
  EXPECT_EQ(read_error(distr, CorpusFormat::OpenSesame),
            distr + ":1: distractor index 3 out of range (3 words)");
  const std::string empty = write("empty", "a b c\t \n");
  EXPECT_EQ(read_error(empty, CorpusFormat::OpenSesame),
            empty + ":1: empty target (expected a word index)");
}

TEST_F(CorpusTest, OpenSesameFieldCountAndEmptyWords) {
  const std::string fields = write("fields", "a b c\t2\t0\n");
  const std::string msg = read_error(fields, CorpusFormat::OpenSesame);
  EXPECT_EQ(msg.rfind(fields + ":1: expected 2 tab-separated fields", 0), 0u) << msg;
  EXPECT_NE(msg.find("found 3"), std::string::npos) << msg;
  const std::string spaces = write("spaces", "a b c\t1\na  b\t0\n");
  EXPECT_EQ(read_error(spaces, CorpusFormat::OpenSesame),
            spaces + ":2: empty word at position 1 (two spaces in a row, or a leading or trailing "
                     "space)");
}

TEST_F(CorpusTest, OpenSesamePosTagCountMismatch) {
  const std::string path = write("agr", "a b c\t2\nthe cat is here now and gone\t2\n");
  write("agr.pos", "X X X\t2\nDet N Aux Adv Adv CC\t2\n");
  EXPECT_EQ(read_error(path, CorpusFormat::OpenSesame),
            path + ".pos:2: 6 tags for 7 words (line 2 of " + path + ")");
}

TEST_F(CorpusTest, OpenSesamePosLineCounts) {
  const std::string shorter = write("short", "a b\t1\n\nc d\t0\n");
  write("short.pos", "X Y\t1\n\n");
  EXPECT_EQ(read_error(shorter, CorpusFormat::OpenSesame),
            shorter + ".pos: has 2 lines, but " + shorter +
                " has a sentence on line 3 (the files must be parallel)");
  // max_sentences stops before the missing line: fine.
  EXPECT_EQ(read_corpus(shorter, CorpusFormat::OpenSesame, 1).sentences.size(), 1u);

  const std::string longer = write("long", "a b\t1\n");
  write("long.pos", "X Y\t1\nZ Z\t1\n");
  EXPECT_EQ(read_error(longer, CorpusFormat::OpenSesame),
            longer + ".pos:2: extra line (" + longer + " has 1 lines; the files must be parallel)");

  const std::string blank = write("blank", "a b\t1\n");
  write("blank.pos", "\n");
  EXPECT_EQ(read_error(blank, CorpusFormat::OpenSesame),
            blank + ".pos:1: no tags, expected 2 (line 1 of " + blank + ")");
}

// ------------------------------------------------------------------------------------------------
// Plain text

TEST(PlainTextTest, LinesAreSentencesBlankLinesSkipped) {
  const Corpus c = read_corpus(kText, CorpusFormat::PlainText);
  // sha256sum tests/fixtures/corpus/sample.txt
  EXPECT_EQ(c.content_sha256, "5b98fff92607c64e4bbe614ddbd9d6856bce75217763d5b428fce8ea261603fc");
  ASSERT_EQ(c.sentences.size(), 3u);
  EXPECT_EQ(c.sentences[0].text, "The first line is a sentence.");
  EXPECT_EQ(c.sentences[0].origin, kText + ":1");
  EXPECT_EQ(c.sentences[1].text, "  Leading spaces are kept, and so is this trailing space. ");
  EXPECT_EQ(c.sentences[1].origin, kText + ":3");
  EXPECT_EQ(c.sentences[2].text,
            "Unicode bytes stay as they are: na\xc3\xafve caf\xc3\xa9 \xe2\x80\x94 fine.");
  EXPECT_EQ(c.sentences[2].origin, kText + ":5");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.sentences[i].index, static_cast<int64_t>(i));
    EXPECT_FALSE(c.sentences[i].pretokenized);
    EXPECT_TRUE(c.sentences[i].words.empty());
    EXPECT_TRUE(c.sentences[i].annotations.empty());
  }
  EXPECT_EQ(read_corpus(kText, CorpusFormat::PlainText, 2).sentences.size(), 2u);
}

TEST_F(CorpusTest, PlainTextCrLfBomAndInvalidUtf8) {
  const std::string path = write("crlf.txt", "\xEF\xBB\xBFone\r\n\r\ntwo \xff\xfe bytes\r\nthree");
  const Corpus c = read_corpus(path, CorpusFormat::PlainText);
  ASSERT_EQ(c.sentences.size(), 3u);
  EXPECT_EQ(c.sentences[0].text, "one");
  EXPECT_EQ(c.sentences[1].text, "two \xff\xfe bytes");  // kept for the tokenizer to report
  EXPECT_EQ(c.sentences[1].origin, path + ":3");
  EXPECT_EQ(c.sentences[2].text, "three");
}

// ------------------------------------------------------------------------------------------------
// JSON lines

TEST(JsonlTest, WordsTextAndFields) {
  const Corpus c = read_corpus(kJsonl, CorpusFormat::JsonLines);
  // sha256sum tests/fixtures/corpus/sample.jsonl
  EXPECT_EQ(c.content_sha256, "617c9dce9a60a417eb31fb97e79ea585209b7819bb58639a18db98f5863095f9");
  ASSERT_EQ(c.sentences.size(), 3u);
  const Sentence& a = c.sentences[0];
  EXPECT_TRUE(a.pretokenized);
  EXPECT_EQ(a.words, (std::vector<std::string>{"Hello", "world", "!"}));
  EXPECT_EQ(a.fields, (std::map<std::string, std::string>{
                          {"id", "s1"}, {"score", "3"}, {"weight", "0.5"}}));
  EXPECT_EQ(a.origin, kJsonl + ":1");
  const Sentence& b = c.sentences[1];
  EXPECT_FALSE(b.pretokenized);
  EXPECT_TRUE(b.words.empty());
  EXPECT_EQ(b.text, "A raw sentence to tokenize later.");
  EXPECT_EQ(b.fields, (std::map<std::string, std::string>{{"id", "s2"}}));  // bool/list/object dropped
  const Sentence& d = c.sentences[2];
  EXPECT_EQ(d.origin, kJsonl + ":4");  // after a blank line
  EXPECT_TRUE(d.pretokenized);
  EXPECT_EQ(d.words, (std::vector<std::string>{"Both", "given"}));
  EXPECT_EQ(d.text, "Both given");
  EXPECT_TRUE(d.fields.empty());
  EXPECT_EQ(read_corpus(kJsonl, CorpusFormat::JsonLines, 1).sentences.size(), 1u);
}

TEST_F(CorpusTest, JsonlMalformed) {
  const std::string path = write("bad.jsonl", "{\"text\": \"fine\"}\n{\"text\": \"oops\",}\n");
  const std::string msg = read_error(path, CorpusFormat::JsonLines);
  EXPECT_EQ(msg.rfind(path + ":2: malformed JSON: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("column 17"), std::string::npos) << msg;
  const std::string array = write("array.jsonl", "[\"a\", \"b\"]\n");
  EXPECT_EQ(read_error(array, CorpusFormat::JsonLines),
            array + ":1: expected a JSON object, found array");
}

TEST_F(CorpusTest, JsonlWithoutWordsOrText) {
  const std::string path = write("none.jsonl", "{\"words\": [\"a\"]}\n{\"sentence\": \"a b\"}\n");
  EXPECT_EQ(read_error(path, CorpusFormat::JsonLines),
            path + ":2: expected \"words\" (list of strings) or \"text\" (string)");
  const std::string number = write("number.jsonl", "{\"words\": [\"a\", 7]}\n");
  EXPECT_EQ(read_error(number, CorpusFormat::JsonLines),
            number + ":1: expected \"words\" (list of strings) or \"text\" (string); \"words\"[1] "
                     "is number");
  const std::string text = write("text.jsonl", "{\"text\": [\"a\"]}\n");
  EXPECT_EQ(read_error(text, CorpusFormat::JsonLines),
            text + ":1: expected \"words\" (list of strings) or \"text\" (string); \"text\" is array");
  const std::string empty = write("empty.jsonl", "{\"words\": []}\n");
  EXPECT_EQ(read_error(empty, CorpusFormat::JsonLines), empty + ":1: \"words\" is an empty list");
  const std::string blank = write("blank.jsonl", "{\"text\": \"  \"}\n");
  EXPECT_EQ(read_error(blank, CorpusFormat::JsonLines), blank + ":1: \"text\" is blank");
}

// ------------------------------------------------------------------------------------------------
// Missing and empty files, all formats

TEST_F(CorpusTest, MissingFile) {
  const std::string path = (dir_ / "absent.conllu").string();
  for (CorpusFormat f : {CorpusFormat::Conllu, CorpusFormat::Conllx, CorpusFormat::OpenSesame,
                         CorpusFormat::PlainText, CorpusFormat::JsonLines}) {
    EXPECT_EQ(read_error(path, f), path + ": no such file") << corpus_format_name(f);
  }
  const std::string msg = read_error(dir_.string(), CorpusFormat::PlainText);
  EXPECT_EQ(msg, dir_.string() + ": is a directory, expected a corpus file");
}

TEST_F(CorpusTest, EmptyFile) {
  const std::string empty = write("empty", "");
  const std::string blank = write("blank", "\n  \n\t\n\r\n");
  for (CorpusFormat f : {CorpusFormat::Conllu, CorpusFormat::Conllx, CorpusFormat::OpenSesame,
                         CorpusFormat::PlainText, CorpusFormat::JsonLines}) {
    EXPECT_EQ(read_error(empty, f), empty + ": empty corpus (no sentences)") << corpus_format_name(f);
    EXPECT_EQ(read_error(blank, f), blank + ": empty corpus (no sentences)") << corpus_format_name(f);
  }
}

}  // namespace
}  // namespace bertology
