// Tests of pipeline/coref/: the GUM-style CoNLL-U and CoNLL-2012 readers (against a hand-written
// GUM-style fixture and a LitBank excerpt; expected values worked out by hand or with awk),
// the mention head and type rules, truncation, antecedent queries, the three baselines on small
// documents whose answers are worked out in comments, the scorer, and one-line errors naming
// file and line for malformed input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/coref/antecedents.h"
#include "pipeline/coref/coref_document.h"
#include "pipeline/util/error.h"
#include "tests/support/unit.h"

#ifndef BERTOLOGY_FIXTURES_DIR
#error "BERTOLOGY_FIXTURES_DIR must name tests/fixtures"
#endif

namespace bertology {
namespace {

using test::input_error;

namespace fs = std::filesystem;

const std::string kDir = std::string(BERTOLOGY_FIXTURES_DIR) + "/coref";
const std::string kGum = kDir + "/gum_style.conllu";
const std::string kLitBank = kDir + "/litbank_excerpt.conll";

using MT = MentionType;

/// A file in a fresh temporary directory, removed with the fixture.
class CorefTempFiles : public test::ScratchDirTest {
 protected:
  std::string read_error(const std::string& name, const std::string& content) {
    const std::string path = write(name, content);
    return input_error([&] { read_coref_documents(path); });
  }
};

/// A GUM-style word line: ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC.
std::string gum_word(int id, const std::string& form, int head, const std::string& misc) {
  std::ostringstream out;
  out << id << '\t' << form << '\t' << form << "\tNOUN\tNN\t_\t" << head << "\tdep\t_\t" << misc
      << '\n';
  return out.str();
}

/// A LitBank-style token line (13 tab-separated columns).
std::string litbank_token(int index, const std::string& word, const std::string& coref) {
  std::ostringstream out;
  out << "doc\t0\t" << index << '\t' << word << "\t_\t_\t_\t_\t_\t_\t_\t_\t" << coref << '\n';
  return out.str();
}

/// An untagged, unparsed document (like LitBank) from sentences of space-separated words.
CorefDocument untagged(const std::vector<std::string>& sentences) {
  CorefDocument doc;
  doc.id = "handmade";
  for (const std::string& sentence : sentences) {
    doc.sentence_starts.push_back(static_cast<int>(doc.words.size()));
    std::istringstream in(sentence);
    for (std::string w; in >> w;) doc.words.push_back(w);
  }
  doc.heads.assign(doc.words.size(), -1);
  return doc;
}

Mention mention(int start, int end, int entity, int head, MentionType type) {
  Mention m;
  m.start = start;
  m.end = end;
  m.entity = entity;
  m.head = head;
  m.type = type;
  return m;
}

std::string span_text(const CorefDocument& doc, const Mention& m) {
  std::string text;
  for (int i = m.start; i < m.end; ++i) text += (i > m.start ? " " : "") + doc.words[i];
  return text;
}

// Compact comparison of mentions: "[start,end) e<entity> h<head> <type>".
std::string describe(const Mention& m) {
  std::ostringstream out;
  out << "[" << m.start << "," << m.end << ") e" << m.entity << " h" << m.head << " "
      << mention_type_name(m.type);
  return out.str();
}
std::vector<std::string> describe(const std::vector<Mention>& mentions) {
  std::vector<std::string> out;
  for (const Mention& m : mentions) out.push_back(describe(m));
  return out;
}

// ---- GUM-style CoNLL-U -------------------------------------------------------------------------

TEST(CorefGum, ReadsDocumentsWordsSentencesAndTags) {
  const std::vector<CorefDocument> docs = read_coref_documents(kGum);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].id, "fixture_alpha");
  EXPECT_EQ(docs[0].origin, kGum + ":1");
  EXPECT_EQ(docs[1].id, "fixture_beta");
  EXPECT_EQ(docs[1].origin, kGum + ":50");  // grep -n newdoc gum_style.conllu

  const CorefDocument& alpha = docs[0];
  EXPECT_EQ(alpha.words.size(), 34u);  // 8 + 7 + 10 + 9 words
  EXPECT_EQ(alpha.sentence_starts, (std::vector<int>{0, 8, 15, 25}));
  EXPECT_EQ(alpha.words[13], "neighbours");
  EXPECT_EQ(alpha.upos[13], "NOUN");
  EXPECT_EQ(alpha.xpos[13], "NNS");
  ASSERT_EQ(alpha.heads.size(), alpha.words.size());
  EXPECT_EQ(alpha.heads[0], 2);    // Anna -> opened (sentence 1, HEAD 3)
  EXPECT_EQ(alpha.heads[2], -1);   // opened is the root
  EXPECT_EQ(alpha.heads[12], 13);  // her -> neighbours (sentence 2 starts at 8, HEAD 6)
  EXPECT_EQ(alpha.heads[19], 18);  // herself -> Anna (sentence 3 starts at 15, HEAD 4)

  // The multiword range "2-3 committee's" and the empty node "7.1 revised" are not words.
  const CorefDocument& beta = docs[1];
  EXPECT_EQ(beta.words, (std::vector<std::string>{"The", "committee", "'s", "report", "was",
                                                  "late", ".", "They", "revised", "the", "report",
                                                  ",", "and", "we", "the", "summary", "."}));
  EXPECT_EQ(beta.sentence_starts, (std::vector<int>{0, 7}));
  EXPECT_EQ(beta.heads[15], 13);  // summary -> we (orphan), not the empty node
}

TEST(CorefGum, MentionsFromEntityBrackets) {
  const std::vector<CorefDocument> docs = read_coref_documents(kGum);
  // Worked out from the fixture: heads are the span's word whose HEAD lies outside it.
  EXPECT_EQ(describe(docs[0].mentions), (std::vector<std::string>{
                                            "[0,2) e1 h0 proper",       // Anna Berg (flat: Anna)
                                            "[3,7) e2 h4 nominal",      // a bakery in Oslo
                                            "[6,7) e3 h6 proper",       // Oslo: "(3-...)2)"
                                            "[8,9) e1 h8 pronoun",      // She
                                            "[10,11) e4 h10 nominal",   // bread
                                            "[12,13) e1 h12 pronoun",   // her: "(5-...(1-...)"
                                            "[12,14) e5 h13 nominal",   // her neighbours
                                            "[15,21) e1 h16 nominal",   // The owner , ... ,
                                            "[18,20) e1 h18 proper",    // Anna herself
                                            "[22,24) e6 h23 nominal",   // the recipe
                                            "[25,26) e6 h25 pronoun",   // It
                                            "[30,31) e7 h30 nominal",   // people
                                            "[32,33) e6 h32 pronoun"}));  // it
  EXPECT_EQ(describe(docs[1].mentions), (std::vector<std::string>{
                                            "[0,3) e1 h1 nominal",     // The committee 's
                                            "[0,4) e2 h3 nominal",     // The committee 's report
                                            "[7,8) e1 h7 pronoun",     // They
                                            "[9,11) e2 h10 nominal",   // the report
                                            "[13,14) e3 h13 pronoun",  // we
                                            "[14,16) e4 h15 nominal"}));  // the summary
}

TEST(CorefGum, NestedMentionsOfOneEntityCloseInnermostFirst) {
  // "The owner , Anna herself ," opens entity 1 at "The" (15) and again at "Anna" (18); the first
  // "1)" (herself, 19) closes the one opened last. Pairing it with the older open instead would
  // give [15,20) and [18,21).
  const CorefDocument alpha = read_coref_documents(kGum)[0];
  ASSERT_EQ(alpha.mentions.size(), 13u);
  EXPECT_EQ(span_text(alpha, alpha.mentions[7]), "The owner , Anna herself ,");
  EXPECT_EQ(span_text(alpha, alpha.mentions[8]), "Anna herself");
}

// ---- CoNLL-2012 (LitBank) ----------------------------------------------------------------------

TEST(CorefLitBank, ReadsTheExcerpt) {
  const std::vector<CorefDocument> docs = read_coref_documents(kLitBank);
  ASSERT_EQ(docs.size(), 1u);
  const CorefDocument& doc = docs[0];
  EXPECT_EQ(doc.id, "1342_pride_and_prejudice_brat");
  EXPECT_EQ(doc.origin, kLitBank + ":1");
  // awk -F'\t' 'NF>=12{w++} END{print w}' -> 715; 40 blank-line-separated sentences;
  // awk -F'\t' 'NF>=12{n+=gsub(/\(/,"(",$NF)} END{print n}' -> 135 mentions.
  EXPECT_EQ(doc.words.size(), 715u);
  EXPECT_EQ(doc.sentence_starts.size(), 40u);
  EXPECT_EQ(doc.mentions.size(), 135u);
  EXPECT_EQ(doc.words[0], "Chapter");
  EXPECT_EQ(doc.words[714], "\xE2\x80\x9D");  // the closing quote ”
  EXPECT_EQ(doc.sentence_starts[1], 28);       // "Chapter 1 It is ... a wife ." has 28 words
  for (int h : doc.heads) ASSERT_EQ(h, -1);    // no parse
  EXPECT_EQ(doc.xpos[5], "_");
}

TEST(CorefLitBank, MentionsHeadsAndTypes) {
  const CorefDocument doc = read_coref_documents(kLitBank)[0];
  const auto find = [&doc](int start, int end) -> const Mention* {
    for (const Mention& m : doc.mentions) {
      if (m.start == start && m.end == end) return &m;
    }
    return nullptr;
  };
  // Lines 12-20: "a single man in possession of a good fortune" = (0 ... 0): cut at "in".
  const Mention* man = find(10, 19);
  ASSERT_NE(man, nullptr);
  EXPECT_EQ(describe(*man), "[10,19) e0 h12 nominal");
  // Line 83: "My" carries "(5|(6)": a one-word mention of 6 and the start of "My dear" (5).
  ASSERT_NE(find(79, 80), nullptr);
  EXPECT_EQ(describe(*find(79, 80)), "[79,80) e6 h79 pronoun");
  ASSERT_NE(find(79, 81), nullptr);
  EXPECT_EQ(describe(*find(79, 81)), "[79,81) e5 h80 nominal");
  ASSERT_NE(find(81, 83), nullptr);
  EXPECT_EQ(describe(*find(81, 83)), "[81,83) e5 h82 proper");  // Mr. Bennet
  // Line 229: "England" carries "(12)|11)": closes "the north of England" (11).
  ASSERT_NE(find(214, 218), nullptr);
  EXPECT_EQ(describe(*find(214, 218)), "[214,218) e11 h215 nominal");
  EXPECT_EQ(describe(*find(217, 218)), "[217,218) e12 h217 proper");
  // Line 301: "“ Bingley . ”" — capitalised after an opening quote, but "Mr. Bingley" occurs
  // later (word 472), so Proper.
  ASSERT_NE(find(287, 288), nullptr);
  EXPECT_EQ(find(287, 288)->type, MT::Proper);
}

// ---- format choice and file-level errors -------------------------------------------------------

TEST_F(CorefTempFiles, ChoosesTheFormatByNameThenContent) {
  const std::string conll2012 = "#begin document (tiny); part 0\n" +
                                litbank_token(0, "Anna", "(1)") + litbank_token(1, "slept", "") +
                                "\n#end document\n";
  // Any name works when the content starts with "#begin document".
  EXPECT_EQ(read_coref_documents(write("tiny.txt", conll2012)).at(0).id, "tiny");
  EXPECT_EQ(read_coref_documents(write("tiny.v4_gold_conll", conll2012)).at(0).id, "tiny");
  // A .conllu name means CoNLL-U whatever the content.
  EXPECT_NE(read_error("tiny.conllu", conll2012).find("tiny.conllu:2: word line before the first "
                                                     "'# newdoc id = ...'"),
            std::string::npos);
  const std::string unknown = read_error("notes.txt", "hello\n");
  EXPECT_NE(unknown.find("notes.txt: unknown coreference format"), std::string::npos) << unknown;
  const std::string nope = (dir_ / "nope.conll").string();
  const std::string missing = input_error([&] { read_coref_documents(nope); });
  EXPECT_NE(missing.find("nope.conll: no such file"), std::string::npos) << missing;
}

TEST_F(CorefTempFiles, OntoNotesSpaceSeparatedColumnsAndParts) {
  // OntoNotes *_gold_conll: columns padded with spaces, "-" for no coreference, part numbers.
  const std::string text =
      "#begin document (bc/x/00/x_0000); part 001\n"
      "bc/x/00/x_0000  1  0  John   NNP  (TOP*  -  -  -  Speaker#1  *  (7)\n"
      "bc/x/00/x_0000  1  1  smiled VBD  *)     -  -  -  Speaker#1  *  -\n"
      "\n#end document\n";
  const CorefDocument doc = read_coref_documents(write("x.gold_conll", text)).at(0);
  EXPECT_EQ(doc.id, "bc/x/00/x_0000_part001");
  EXPECT_EQ(doc.words, (std::vector<std::string>{"John", "smiled"}));
  EXPECT_EQ(doc.xpos, (std::vector<std::string>{"NNP", "VBD"}));
  EXPECT_EQ(describe(doc.mentions), (std::vector<std::string>{"[0,1) e7 h0 proper"}));  // NNP
}

TEST_F(CorefTempFiles, CloseBeforeOpenOnOneWordEndsOneMentionAndStartsTheNext) {
  // LitBank writes "4)|(4" where a mention of 4 ends and the next starts on the same word.
  const std::string text = "#begin document (d); part 0\n" + litbank_token(0, "a", "(4") +
                           litbank_token(1, "b", "4)|(4") + litbank_token(2, "c", "4)") +
                           "\n#end document\n";
  const CorefDocument doc = read_coref_documents(write("d.conll", text)).at(0);
  EXPECT_EQ(describe(doc.mentions),
            (std::vector<std::string>{"[0,2) e4 h1 nominal", "[1,3) e4 h2 nominal"}));
}

TEST_F(CorefTempFiles, CrossingMentionsPairByEntity) {
  // "(1 (2 1) 2)": overlapping, not nested; each close takes the open of its own entity.
  const std::string text = "#begin document (d); part 0\n" + litbank_token(0, "a", "(1") +
                           litbank_token(1, "b", "(2") + litbank_token(2, "c", "1)") +
                           litbank_token(3, "d", "2)") + "\n#end document\n";
  const CorefDocument doc = read_coref_documents(write("d.conll", text)).at(0);
  EXPECT_EQ(describe(doc.mentions),
            (std::vector<std::string>{"[0,3) e1 h2 nominal", "[1,4) e2 h3 nominal"}));
}

TEST_F(CorefTempFiles, FileWithoutMentionsIsAnError) {
  const std::string text = "# newdoc id = d\n" + gum_word(1, "word", 0, "_") + "\n";
  const std::string error = read_error("plain.conllu", text);
  EXPECT_NE(error.find("plain.conllu: no coreference mentions"), std::string::npos) << error;
}

TEST_F(CorefTempFiles, MalformedGumFiles) {
  const std::string doc = "# newdoc id = d\n";
  const std::string ok = gum_word(1, "x", 0, "Entity=(1-a)");
  struct Case {
    std::string content, expected;
  };
  const std::vector<Case> cases = {
      {doc + "1\tx\tx\tNOUN\tNN\t_\t0\troot\t_\n",
       "bad.conllu:2: expected 10 tab-separated columns"},
      {doc + ok + gum_word(2, "y", 1, "Entity=5)"),
       "bad.conllu:3: '5)' closes a mention of entity 5 that is not open"},
      {doc + ok + gum_word(2, "y", 1, "Entity=(2-person") + gum_word(3, "z", 1, "_"),
       "bad.conllu:3: mention of entity 2 opened here is never closed"},
      {doc + gum_word(1, "x", 0, "Entity=(x-person)"),
       "bad.conllu:2: Entity='(x-person)': expected an entity number"},
      {doc + gum_word(1, "x", 0, "Entity=7"), "bad.conllu:2: Entity='7': expected ')'"},
      {doc + ok + gum_word(2, "y", 5, "_"), "bad.conllu:3: HEAD 5 out of range (sentence has 2"},
      {doc + ok + gum_word(3, "y", 1, "_"), "bad.conllu:3: word ID 3 where 2 was expected"},
      {doc + "1x\tx\tx\tNOUN\tNN\t_\t0\troot\t_\t_\n", "bad.conllu:2: ID must be an integer"},
      {ok, "bad.conllu:1: word line before the first '# newdoc id = ...'"},
      {doc + "# newdoc id = e\n" + ok, "bad.conllu:1: document 'd' has no words"},
  };
  for (const Case& c : cases) {
    const std::string error = read_error("bad.conllu", c.content);
    EXPECT_NE(error.find(c.expected), std::string::npos) << "got: " << error << "\nfor:\n"
                                                         << c.content;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;  // one line
  }
}

TEST_F(CorefTempFiles, MalformedConll2012Files) {
  const std::string begin = "#begin document (d); part 0\n";
  const std::string end = "\n#end document\n";
  struct Case {
    std::string content, expected;
  };
  const std::vector<Case> cases = {
      {begin + litbank_token(0, "a", "(1)"), "bad.conll:1: document 'd' begun here has no "
                                             "'#end document'"},
      {begin + "d\t0\t0\ta\t_\t_\t_\n" + end, "bad.conll:2: expected at least 12 columns"},
      {begin + litbank_token(0, "a", "(1|x") + end,
       "bad.conll:2: coreference field '(1|x': expected items"},
      {begin + litbank_token(0, "a", "(1)") + litbank_token(1, "b", "2)") + end,
       "bad.conll:3: '2)' closes a mention of entity 2 that is not open"},
      {begin + litbank_token(0, "a", "(1)") + litbank_token(1, "b", "(3") + end,
       "bad.conll:3: mention of entity 3 opened here is never closed"},
      {begin + litbank_token(0, "a", "(1)") + litbank_token(2, "b", "") + end,
       "bad.conll:3: token index (column 3) '2' where 1 was expected"},
      {litbank_token(0, "a", "(1)"), "bad.conll:1: token line outside '#begin document'"},
      {begin + litbank_token(0, "a", "(1)") + begin,
       "bad.conll:3: '#begin document' inside document 'd' begun on line 1"},
      {begin + litbank_token(0, "a", "(1)") + end + end,
       "bad.conll:6: '#end document' without a '#begin document'"},
  };
  for (const Case& c : cases) {
    const std::string error = read_error("bad.conll", c.content);
    EXPECT_NE(error.find(c.expected), std::string::npos) << "got: " << error << "\nfor:\n"
                                                         << c.content;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

// ---- head rule ---------------------------------------------------------------------------------

TEST(CorefHeadRule, WithoutParseCutsAtPrepositionsRelativesAndPunctuation) {
  const CorefDocument doc = untagged({
      "Sir Walter Elliot , of Kellynch Hall , was a man who read .",  // words 0-13
      "The baronet 's daughter met the Elliots of Bath .",            // 14-23
      "“ Mr. Bingley ” came .",                                       // 24-29
  });
  EXPECT_EQ(mention_head(doc, 0, 7), 2);     // Sir Walter Elliot | , of Kellynch Hall
  EXPECT_EQ(mention_head(doc, 0, 8), 2);     // ... with the trailing comma too
  EXPECT_EQ(mention_head(doc, 5, 7), 6);     // Kellynch Hall
  EXPECT_EQ(mention_head(doc, 9, 13), 10);   // a man | who read
  EXPECT_EQ(mention_head(doc, 14, 17), 15);  // The baronet 's -> baronet
  EXPECT_EQ(mention_head(doc, 14, 18), 17);  // The baronet 's daughter -> daughter
  EXPECT_EQ(mention_head(doc, 19, 23), 20);  // the Elliots | of Bath
  EXPECT_EQ(mention_head(doc, 24, 28), 26);  // “ Mr. Bingley | ”: the first word is never a cut
  EXPECT_EQ(mention_head(doc, 4, 5), 4);     // a one-word span is its own head, even "of"
}

TEST(CorefHeadRule, WithParseTakesTheWordWhoseHeadIsOutside) {
  // A hand-made UD-style tree of "the friend of Anna 's sister left .":
  //   0 the -> 1, 1 friend -> 6, 2 of -> 5, 3 Anna -> 5, 4 's -> 3, 5 sister -> 1,
  //   6 left (root), 7 . -> 6
  CorefDocument doc = untagged({"the friend of Anna 's sister left ."});
  doc.heads = {1, 6, 5, 5, 3, 1, -1, 6};
  EXPECT_EQ(mention_head(doc, 0, 6), 1);  // the heuristic would also say "friend" (cut at "of")
  EXPECT_EQ(mention_head(doc, 3, 5), 3);  // Anna 's: 's -> Anna inside
  EXPECT_EQ(mention_head(doc, 3, 6), 5);  // Anna 's sister: the heuristic agrees, sister
  // sister left . : sister (-> friend) and left (root) both have their head outside; the first.
  EXPECT_EQ(mention_head(doc, 5, 8), 5);
}

TEST(CorefHeadRule, ParseAndHeuristicDiffer) {
  // UD makes the first word of a flat name its head; the heuristic takes the last.
  CorefDocument doc = untagged({"Anna Berg sang ."});
  EXPECT_EQ(mention_head(doc, 0, 2), 1);  // no parse: Berg
  doc.heads = {2, 0, -1, 2};
  EXPECT_EQ(mention_head(doc, 0, 2), 0);  // parse: Berg -> Anna, Anna -> sang (outside)
}

// ---- type rule ---------------------------------------------------------------------------------

TEST(CorefType, Names) {
  EXPECT_STREQ(mention_type_name(MT::Pronoun), "pronoun");
  EXPECT_STREQ(mention_type_name(MT::Proper), "proper");
  EXPECT_STREQ(mention_type_name(MT::Nominal), "nominal");
}

TEST(CorefType, WithoutTags) {
  const CorefDocument doc = untagged({
      "Emma saw her friend Harriet and Themselves .",  // 0-7
      "“ Harriet smiled . ”",                          // 8-12
      "Knightley came ; Weston stayed .",              // 13-18
  });
  EXPECT_EQ(mention_type(doc, 2), MT::Pronoun);  // her
  EXPECT_EQ(mention_type(doc, 6), MT::Pronoun);  // Themselves: lexicon ignores case
  EXPECT_EQ(mention_type(doc, 3), MT::Nominal);  // friend
  EXPECT_EQ(mention_type(doc, 4), MT::Proper);   // Harriet, mid-sentence
  EXPECT_EQ(mention_type(doc, 9), MT::Proper);   // Harriet after a quote: also mid-sentence at 4
  EXPECT_EQ(mention_type(doc, 0), MT::Nominal);  // Emma: sentence-initial and nowhere else
  EXPECT_EQ(mention_type(doc, 13), MT::Nominal); // Knightley: same
  // Weston follows ";" (no letters or digits), which counts as initial position, and occurs
  // nowhere else: Nominal. The rule's known miss, documented in coref_document.h.
  EXPECT_EQ(mention_type(doc, 16), MT::Nominal);
}

TEST(CorefType, WithTags) {
  CorefDocument doc = untagged({"Something hit Oslo and the ships ."});
  doc.upos = {"PRON", "VERB", "PROPN", "CCONJ", "DET", "NOUN", "PUNCT"};
  EXPECT_EQ(mention_type(doc, 0), MT::Pronoun);  // UPOS PRON, not in the lexicon
  EXPECT_EQ(mention_type(doc, 2), MT::Proper);
  EXPECT_EQ(mention_type(doc, 5), MT::Nominal);
  doc.upos[5] = "PROPN";
  EXPECT_EQ(mention_type(doc, 5), MT::Proper);  // the tag decides, not the capital
  // XPOS only (OntoNotes): NNP / NNPS proper, PRP pronoun.
  doc.upos.clear();
  doc.xpos = {"NN", "VBD", "NNPS", "CC", "DT", "NNS", "."};
  EXPECT_EQ(mention_type(doc, 0), MT::Nominal);  // "Something" tagged NN
  EXPECT_EQ(mention_type(doc, 2), MT::Proper);
  EXPECT_EQ(mention_type(doc, 5), MT::Nominal);
}

TEST(CorefType, Pronouns) {
  ASSERT_NE(english_pronoun("Her"), nullptr);
  EXPECT_EQ(english_pronoun("Her")->gender, PronounFeatures::kFeminine);
  EXPECT_EQ(english_pronoun("they")->number, PronounFeatures::kPlural);
  EXPECT_EQ(english_pronoun("I")->person, 1);
  EXPECT_EQ(english_pronoun("thee")->person, 2);
  EXPECT_EQ(english_pronoun("you")->number, PronounFeatures::kAnyNumber);
  EXPECT_EQ(english_pronoun("who"), nullptr);
  EXPECT_EQ(english_pronoun("man"), nullptr);
}

// ---- truncation --------------------------------------------------------------------------------

TEST(CorefTruncate, KeepsWordsSentencesAndMentionsInside) {
  const CorefDocument alpha = read_coref_documents(kGum)[0];
  const CorefDocument cut = truncate_document(alpha, 13);
  EXPECT_EQ(cut.id, alpha.id);
  EXPECT_EQ(cut.words.size(), 13u);
  EXPECT_EQ(cut.upos.size(), 13u);
  EXPECT_EQ(cut.sentence_starts, (std::vector<int>{0, 8}));
  // "her neighbours" [12,14) crosses the cut; "her" [12,13) is inside.
  EXPECT_EQ(describe(cut.mentions),
            (std::vector<std::string>{"[0,2) e1 h0 proper", "[3,7) e2 h4 nominal",
                                      "[6,7) e3 h6 proper", "[8,9) e1 h8 pronoun",
                                      "[10,11) e4 h10 nominal", "[12,13) e1 h12 pronoun"}));
  EXPECT_EQ(cut.heads[12], -1);  // her -> neighbours (13) is past the cut
  EXPECT_EQ(cut.heads[8], 9);    // She -> baked stays
  EXPECT_EQ(truncate_document(alpha, 14).mentions.size(), 7u);
  EXPECT_EQ(truncate_document(alpha, 1000).words.size(), alpha.words.size());
  EXPECT_TRUE(truncate_document(alpha, 0).mentions.empty());
  EXPECT_THROW(truncate_document(alpha, -1), InputError);
}

// ---- queries -----------------------------------------------------------------------------------

TEST(CorefQueries, FromTheGumFixture) {
  const std::vector<CorefDocument> docs = read_coref_documents(kGum);
  const std::vector<AntecedentQuery> alpha = antecedent_queries(docs[0]);
  // Entity 1: Anna Berg (h0), She (8), her (12), The owner... (16), Anna herself (18);
  // entity 6: the recipe (23), It (25), it (32). The others are singletons.
  ASSERT_EQ(alpha.size(), 6u);
  EXPECT_EQ(alpha[0].mention, 3);
  EXPECT_EQ(alpha[0].head, 8);
  EXPECT_EQ(alpha[0].antecedent_heads, (std::vector<int>{0}));
  EXPECT_EQ(alpha[0].type, MT::Pronoun);
  EXPECT_EQ(alpha[2].head, 16);
  EXPECT_EQ(alpha[2].antecedent_heads, (std::vector<int>{0, 8, 12}));
  EXPECT_EQ(alpha[2].type, MT::Nominal);
  // "Anna herself" starts inside "The owner , Anna herself ,", which starts earlier: antecedent.
  EXPECT_EQ(alpha[3].head, 18);
  EXPECT_EQ(alpha[3].antecedent_heads, (std::vector<int>{0, 8, 12, 16}));
  EXPECT_EQ(alpha[3].type, MT::Proper);
  EXPECT_EQ(alpha[5].head, 32);
  EXPECT_EQ(alpha[5].antecedent_heads, (std::vector<int>{23, 25}));

  const std::vector<AntecedentQuery> beta = antecedent_queries(docs[1]);
  ASSERT_EQ(beta.size(), 2u);
  EXPECT_EQ(beta[0].head, 7);  // They -> committee
  EXPECT_EQ(beta[0].antecedent_heads, (std::vector<int>{1}));
  EXPECT_EQ(beta[1].head, 10);  // the report -> report
  EXPECT_EQ(beta[1].antecedent_heads, (std::vector<int>{3}));
}

TEST(CorefQueries, SameHeadMentionsAreNotQueries) {
  const CorefDocument base = untagged({"Anna , the baker who sang , left ."});
  CorefDocument doc = base;
  doc.mentions = {
      mention(0, 1, 1, 0, MT::Proper),    // Anna
      mention(2, 4, 1, 3, MT::Nominal),   // the baker
      mention(2, 6, 1, 3, MT::Nominal),   // the baker who sang: same start, same head: the
                                          // mention above already asks for word 3
      mention(3, 4, 1, 3, MT::Nominal),   // baker: its antecedents include head 3 itself
  };
  const std::vector<AntecedentQuery> queries = antecedent_queries(doc);
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].mention, 1);
  EXPECT_EQ(queries[0].antecedent_heads, (std::vector<int>{0}));
  // A first mention alone is no query.
  doc.mentions.resize(1);
  EXPECT_TRUE(antecedent_queries(doc).empty());
}

// ---- baselines ---------------------------------------------------------------------------------

// Words:  0 Anna 1 met 2 the 3 twins 4 . | 5 They 6 greeted 7 her 8 . | 9 Anna 10 smiled 11 . |
//        12 The 13 twins 14 left 15 . | 16 We 17 agreed 18 .
// Entities: 1 = Anna (0, 7, 9), 2 = the twins (3, 5, 13, 16).
CorefDocument twins_document() {
  CorefDocument doc = untagged({"Anna met the twins .", "They greeted her .", "Anna smiled .",
                                "The twins left .", "We agreed ."});
  doc.mentions = {
      mention(0, 1, 1, 0, MT::Proper),      // m0 Anna
      mention(2, 4, 2, 3, MT::Nominal),     // m1 the twins
      mention(5, 6, 2, 5, MT::Pronoun),     // m2 They
      mention(7, 8, 1, 7, MT::Pronoun),     // m3 her
      mention(9, 10, 1, 9, MT::Proper),     // m4 Anna
      mention(12, 14, 2, 13, MT::Nominal),  // m5 The twins
      mention(16, 17, 2, 16, MT::Pronoun),  // m6 We
  };
  return doc;
}

TEST(CorefBaselines, QueriesOfTheTwinsDocument) {
  const std::vector<AntecedentQuery> q = antecedent_queries(twins_document());
  ASSERT_EQ(q.size(), 5u);  // m2 m3 m4 m5 m6
  EXPECT_EQ(q[0].antecedent_heads, (std::vector<int>{3}));
  EXPECT_EQ(q[1].antecedent_heads, (std::vector<int>{0}));
  EXPECT_EQ(q[2].antecedent_heads, (std::vector<int>{0, 7}));
  EXPECT_EQ(q[3].antecedent_heads, (std::vector<int>{3, 5}));
  EXPECT_EQ(q[4].antecedent_heads, (std::vector<int>{3, 5, 13}));
}

TEST(CorefBaselines, NearestMention) {
  const CorefDocument doc = twins_document();
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  // They -> the twins (3) right; her -> They (5) wrong; Anna -> her (7) right;
  // The twins -> Anna (9) wrong; We -> The twins (13) right.
  EXPECT_EQ(nearest_mention(doc, q), (std::vector<int>{3, 5, 7, 9, 13}));
}

TEST(CorefBaselines, NearestHeadMatch) {
  const CorefDocument doc = twins_document();
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  // They, her, We: no earlier mention with that head word; Anna -> Anna (0); twins -> twins (3),
  // "The" vs "the" does not matter, only the head word.
  EXPECT_EQ(nearest_head_match(doc, q), (std::vector<int>{-1, -1, 0, 3, -1}));
}

TEST(CorefBaselines, RuleBasedSieves) {
  const CorefDocument doc = twins_document();
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  // They (plural, 3rd): sieves 1-2 find nothing; sieve 3: the twins (plural: trailing s) -> 3.
  // her (singular, feminine, 3rd): sieve 3 skips They and the twins (plural), takes Anna -> 0.
  // Anna: sieve 1, the same string "Anna" -> 0 (although "her", nearer, would agree).
  // The twins: sieve 1, "the twins" ignoring case -> 3 (They, nearer, would agree in sieve 3).
  // We (plural, 1st person): no string or head match, nothing agrees in person; sieve 4 takes
  // the nearest mention, The twins -> 13.
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{3, 0, 0, 3, 13}));
}

TEST(CorefBaselines, EarlierSieveBeatsANearerCandidate) {
  // 0 the 1 old 2 man 3 met 4 a 5 man 6 . | 7 The 8 old 9 man 10 left 11 .
  CorefDocument doc = untagged({"the old man met a man .", "The old man left ."});
  doc.mentions = {
      mention(0, 3, 1, 2, MT::Nominal),   // the old man
      mention(4, 6, 2, 5, MT::Nominal),   // a man
      mention(7, 10, 1, 9, MT::Nominal),  // The old man
  };
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  ASSERT_EQ(q.size(), 1u);
  // "a man" is nearer and matches the head word (sieve 2), but "the old man" matches the whole
  // string (sieve 1, case ignored) -> 2.
  EXPECT_EQ(nearest_head_match(doc, q), (std::vector<int>{5}));
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{2}));
}

TEST(CorefBaselines, AgreementUsesTitlesAndXpos) {
  // 0 Mr. 1 Long 2 and 3 Mrs. 4 Long 5 came 6 . | 7 She 8 smiled 9 . | 10 He 11 nodded 12 .
  CorefDocument doc =
      untagged({"Mr. Long and Mrs. Long came .", "She smiled .", "He nodded ."});
  doc.mentions = {
      mention(0, 2, 1, 1, MT::Proper),     // Mr. Long
      mention(3, 5, 2, 4, MT::Proper),     // Mrs. Long
      mention(7, 8, 2, 7, MT::Pronoun),    // She
      mention(10, 11, 1, 10, MT::Pronoun), // He
  };
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  ASSERT_EQ(q.size(), 2u);
  // No string or head-word matches. Sieve 3: She -> the nearest, Mrs. Long (feminine title), 4.
  // He -> skips She and Mrs. Long (feminine), takes Mr. Long (masculine title), 1.
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{4, 1}));
  EXPECT_EQ(nearest_mention(doc, q), (std::vector<int>{4, 7}));  // for contrast
  // Neutral titles: "Dr. Long" has no gender, so He takes the nearer Dr. Long (4).
  doc.words[0] = doc.words[3] = "Dr.";
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{4, 4}));
  // XPOS NNPS makes the second Dr. Long plural: both pronouns skip it and take 1.
  doc.xpos = {"NNP", "NNP", "CC", "NNP", "NNPS", "VBD", ".", "PRP", "VBD", ".", "PRP", "VBD", "."};
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{1, 1}));
}

TEST(CorefBaselines, UntaggedNumberFromTheTrailingS) {
  // 0 Anna 1 met 2 the 3 mistress 4 and 5 the 6 twins 7 . | 8 She 9 smiled 10 .
  CorefDocument doc = untagged({"Anna met the mistress and the twins .", "She smiled ."});
  doc.mentions = {
      mention(0, 1, 1, 0, MT::Proper),
      mention(2, 4, 2, 3, MT::Nominal),  // the mistress: "-ss" is singular
      mention(5, 7, 3, 6, MT::Nominal),  // the twins: plural
      mention(8, 9, 1, 8, MT::Pronoun),  // She
  };
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  ASSERT_EQ(q.size(), 1u);
  // Sieve 3 skips "the twins" (plural) and takes "the mistress" (singular) -> 3.
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{3}));
}

TEST(CorefBaselines, NeverPredictTheQueryOwnHead) {
  // 0 Anna 1 met 2 a 3 baker 4 . | 5 the 6 old 7 baker 8 smiled 9 .
  // "old baker" [6,7] (entity 2, antecedent "a baker") sits inside "the old baker" [5,7], which
  // is annotated as another entity, starts earlier and has the same head word 7.
  CorefDocument doc = untagged({"Anna met a baker .", "the old baker smiled ."});
  doc.mentions = {
      mention(0, 1, 1, 0, MT::Proper),
      mention(2, 4, 2, 3, MT::Nominal),
      mention(5, 8, 3, 7, MT::Nominal),
      mention(6, 8, 2, 7, MT::Nominal),
  };
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].mention, 3);
  // Without the rule all three would answer 7 (the query's own head word).
  EXPECT_EQ(nearest_mention(doc, q), (std::vector<int>{3}));
  EXPECT_EQ(nearest_head_match(doc, q), (std::vector<int>{3}));
  EXPECT_EQ(rule_based_sieves(doc, q), (std::vector<int>{3}));
}

// ---- scoring -----------------------------------------------------------------------------------

TEST(CorefScoring, CountsByType) {
  const CorefDocument doc = twins_document();
  const std::vector<AntecedentQuery> q = antecedent_queries(doc);
  CorefScore score;
  score_predictions(q, nearest_mention(doc, q), score);
  // Types: They, her, We pronouns; Anna proper; The twins nominal. Right: They, Anna, We.
  EXPECT_EQ(score.count[0], 5);
  EXPECT_EQ(score.correct[0], 3);
  EXPECT_EQ(score.count[1], 3);
  EXPECT_EQ(score.correct[1], 2);
  EXPECT_EQ(score.count[2], 1);
  EXPECT_EQ(score.correct[2], 1);
  EXPECT_EQ(score.count[3], 1);
  EXPECT_EQ(score.correct[3], 0);
  EXPECT_DOUBLE_EQ(score.accuracy(0), 60.0);
  EXPECT_DOUBLE_EQ(score.accuracy(1), 200.0 / 3.0);
  EXPECT_DOUBLE_EQ(score.accuracy(3), 0.0);

  CorefScore head_match;
  score_predictions(q, nearest_head_match(doc, q), head_match);  // Anna and The twins right
  EXPECT_EQ(head_match.correct[0], 2);
  score.add(head_match);
  EXPECT_EQ(score.count[0], 10);
  EXPECT_EQ(score.correct[0], 5);
  EXPECT_EQ(score.correct[3], 1);
  EXPECT_DOUBLE_EQ(score.accuracy(0), 50.0);
}

TEST(CorefScoring, NoneIsWrongAndEmptyIsNaN) {
  AntecedentQuery q;
  q.head = 5;
  q.antecedent_heads = {3, 1};  // unsorted on purpose
  q.type = MT::Proper;
  CorefScore score;
  score_predictions({q, q, q}, {1, -1, 5}, score);
  EXPECT_EQ(score.count[2], 3);
  EXPECT_EQ(score.correct[2], 1);
  EXPECT_TRUE(std::isnan(score.accuracy(1)));
  EXPECT_THROW(score_predictions({q}, {}, score), InternalError);
}

}  // namespace
}  // namespace bertology
