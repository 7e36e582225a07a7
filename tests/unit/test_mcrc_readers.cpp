// Tests of the multiple-choice reading-comprehension readers (pipeline/mcrc/): each format on its
// fixture (tests/fixtures/mcrc, LICENSE.md there says where each comes from) with expected values
// read off the files by hand (MCTest: `awk -F'\t'` on the TSV, the letters of the .ans), the
// cloze filling, and one-line errors naming file and line (or JSON key) for each kind of bad
// input, written by the tests into a temporary directory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/io/json_path.h"
#include "pipeline/io/xml_subset.h"
#include "pipeline/mcrc/mc_example.h"
#include "pipeline/mcrc/mc_readers.h"
#include "pipeline/util/error.h"
#include "tests/support/unit.h"

#ifndef BERTOLOGY_FIXTURES_DIR
#error "BERTOLOGY_FIXTURES_DIR must name tests/fixtures"
#endif

namespace bertology {
namespace {

using test::input_error;

namespace fs = std::filesystem;

const std::string kDir = std::string(BERTOLOGY_FIXTURES_DIR) + "/mcrc";
const std::string kMctest = kDir + "/mc160.dev.first2.tsv";
const std::string kMctestAns = kDir + "/mc160.dev.first2.ans";
const std::string kDream = kDir + "/dream_handmade.json";
const std::string kMcscript = kDir + "/mcscript_handmade.xml";
const std::string kRace = kDir + "/race";

using test::slurp;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

using Options = std::vector<std::string>;

// ---- fixtures -----------------------------------------------------------------------------------

TEST(McrcReaders, MctestFixture) {
  const McDataset ds = read_mctest(kMctest);
  EXPECT_EQ(ds.name, "mctest/mc160.dev.first2");
  EXPECT_EQ(ds.path, kMctest);
  ASSERT_EQ(ds.examples.size(), 8u);  // 2 stories x 4 questions

  const McExample& first = ds.examples[0];
  EXPECT_EQ(first.id, "mc160.dev.0-0");
  EXPECT_EQ(first.origin, kMctest + ":1");
  EXPECT_TRUE(starts_with(first.passage,
                          "It was Jessie Bear's birthday. She was having a party.  She asked her "
                          "two best friends to\ncome to the party."))
      << first.passage;
  EXPECT_NE(first.passage.find("hung up some balloons.\n\nSoon her friend Lion"),
            std::string::npos);
  EXPECT_EQ(first.passage.find("\\newline"), std::string::npos);
  EXPECT_EQ(first.question, "Who was having a birthday?");  // "one: " removed
  EXPECT_EQ(first.options, (Options{"Jessie Bear", "no one", "Lion", "Tiger"}));
  EXPECT_EQ(first.answer, 0);  // .ans line 1: A C B B

  // Every question of a story shares its passage; answers follow the .ans letters.
  const std::vector<int> expected_answers = {0, 2, 1, 1, 2, 3, 3, 0};  // A C B B / C D D A
  for (size_t i = 0; i < ds.examples.size(); ++i) {
    EXPECT_EQ(ds.examples[i].answer, expected_answers[i]) << i;
    EXPECT_EQ(ds.examples[i].options.size(), 4u);
    EXPECT_EQ(ds.examples[i].passage, ds.examples[i < 4 ? 0 : 4].passage);
  }
  EXPECT_EQ(ds.examples[1].question, "Who didn't come to the party?");  // "multiple: " removed
  EXPECT_EQ(ds.examples[1].options[ds.examples[1].answer], "Snake");
  EXPECT_EQ(ds.examples[2].options[ds.examples[2].answer], "made cake and hung balloons.");

  const McExample& last = ds.examples[7];
  EXPECT_EQ(last.id, "mc160.dev.1-3");
  EXPECT_EQ(last.origin, kMctest + ":2");
  EXPECT_TRUE(starts_with(last.passage, "Sally had a very exciting summer vacation."));
  EXPECT_TRUE(ends_with(last.passage, "She was excited to tell them about her summer vacation."));
  EXPECT_EQ(last.question, "What did Sally do this summer?");
  EXPECT_EQ(last.options, (Options{"She went to summer camp and the beach.", "She went to Paris.",
                                   "She went to a baseball game.", "She went to summer school."}));
  EXPECT_EQ(last.answer, 0);
}

TEST(McrcReaders, DreamFixture) {
  const McDataset ds = read_dream(kDream);
  EXPECT_EQ(ds.name, "dream/dream_handmade");
  ASSERT_EQ(ds.examples.size(), 3u);

  const McExample& a = ds.examples[0];
  EXPECT_EQ(a.id, "t-1-0");
  EXPECT_EQ(a.origin, kDream + ":[0][1][0]");
  EXPECT_EQ(a.passage,
            "W: Did you find the key to the bike shed?\n"
            "M: Not yet. I looked under the mat and in the blue jar by the door.\n"
            "W: Try the pocket of your rain coat. You wore it on Tuesday.");
  EXPECT_EQ(a.question, "Where has the man already looked?");
  EXPECT_EQ(a.options, (Options{"In his rain coat.", "Under the mat.", "In the bike shed."}));
  EXPECT_EQ(a.answer, 1);

  EXPECT_EQ(ds.examples[1].id, "t-1-1");
  EXPECT_EQ(ds.examples[1].answer, 2);
  EXPECT_EQ(ds.examples[1].passage, a.passage);

  const McExample& c = ds.examples[2];
  EXPECT_EQ(c.id, "t-2-0");
  EXPECT_EQ(c.origin, kDream + ":[1][1][0]");
  EXPECT_TRUE(starts_with(c.passage, "Clerk: Good morning, Caf\xC3\xA9 Lune."));  // UTF-8 kept
  EXPECT_EQ(c.question, "How many people will eat at the caf\xC3\xA9?");
  EXPECT_EQ(c.answer, 1);
}

TEST(McrcReaders, McscriptFixture) {
  const McDataset ds = read_mcscript(kMcscript);
  EXPECT_EQ(ds.name, "mcscript/mcscript_handmade");
  ASSERT_EQ(ds.examples.size(), 3u);

  const McExample& a = ds.examples[0];
  EXPECT_EQ(a.id, "7-0");
  EXPECT_EQ(a.origin, kMcscript + ":8");  // line of <question id="0">
  EXPECT_TRUE(starts_with(a.passage, "On Sunday I watered the plants on the balcony."));
  EXPECT_NE(a.passage.find("carried it outside & gave"), std::string::npos);  // &amp;
  EXPECT_EQ(a.question, "Where did they fill the watering can?");
  EXPECT_EQ(a.options, (Options{"At the garden hose.", "At the kitchen tap."}));
  EXPECT_EQ(a.answer, 1);

  const McExample& b = ds.examples[1];
  EXPECT_EQ(b.id, "7-1");
  EXPECT_EQ(b.origin, kMcscript + ":12");
  EXPECT_EQ(b.question, "Why did the basil get \"extra\" water?");                 // &quot;
  EXPECT_EQ(b.options, (Options{"It was drooping.", "It's the biggest plant."}));  // &apos;
  EXPECT_EQ(b.answer, 0);

  const McExample& c = ds.examples[2];
  EXPECT_EQ(c.id, "8-0");
  // CDATA kept verbatim, &#x26; -> '&', &#233; -> U+00E9 in UTF-8.
  EXPECT_EQ(c.passage,
            "We made cr\xC3\xAApes <for> breakfast. Mine had lemon & sugar, caf\xC3\xA9-style.");
  EXPECT_EQ(c.options, (Options{"Cr\xC3\xAApes", "Toast"}));
  EXPECT_EQ(c.answer, 0);
}

TEST(McrcReaders, RaceFixture) {
  const McDataset ds = read_race(kRace);
  EXPECT_EQ(ds.name, "race/race");
  ASSERT_EQ(ds.examples.size(), 3u);

  // Sorted by path: high/ before middle/.
  const McExample& a = ds.examples[0];
  EXPECT_EQ(a.id, "high7.txt-0");
  EXPECT_EQ(a.origin, (fs::path(kRace) / "high" / "high7.txt").string() + ":questions[0]");
  EXPECT_TRUE(starts_with(a.passage, "Mara missed the eight o'clock ferry"));
  EXPECT_EQ(a.question, "Mara crossed the river by _ .");
  EXPECT_EQ(a.options, (Options{"a ferry", "a train", "a bicycle", "a taxi"}));
  EXPECT_EQ(a.answer, 2);

  EXPECT_EQ(ds.examples[1].id, "high7.txt-1");
  EXPECT_EQ(ds.examples[1].answer, 0);

  const McExample& c = ds.examples[2];
  EXPECT_EQ(c.id, "middle3.txt-0");
  EXPECT_EQ(c.question, "What happened to Tom's kite?");
  EXPECT_EQ(c.options[c.answer], "He lent it to Ben.");

  // A trailing slash names the same folder.
  EXPECT_EQ(read_race(kRace + "/").name, "race/race");
  EXPECT_EQ(read_race(kRace + "/middle").examples.size(), 1u);
}

TEST(McrcReaders, DispatcherPicksTheReader) {
  EXPECT_EQ(read_mc_dataset(kMctest, "mctest").examples.size(), 8u);
  EXPECT_EQ(read_mc_dataset(kDream, "dream").examples.size(), 3u);
  EXPECT_EQ(read_mc_dataset(kMcscript, "mcscript").examples.size(), 3u);
  EXPECT_EQ(read_mc_dataset(kRace, "race").examples.size(), 3u);
  EXPECT_EQ(input_error([] { read_mc_dataset(kDream, "swag"); }),
            kDream +
                ": unknown multiple-choice format 'swag' (expected mctest, dream, mcscript "
                "or race)");
  // The wrong reader for a file fails with a message, not garbage.
  EXPECT_TRUE(
      starts_with(input_error([] { read_mc_dataset(kDream, "mcscript"); }), kDream + ":1: "));
}

// ---- cloze filling ------------------------------------------------------------------------------

TEST(McrcReaders, FilledQuestion) {
  McExample ex;
  ex.options = {"a ferry", "a bicycle"};

  ex.question = "Mara crossed the river by _ .";  // RACE blank
  EXPECT_EQ(filled_question(ex, 1), "Mara crossed the river by a bicycle .");

  ex.question = "The woman thinks the key is most likely _____.";  // DREAM blank: one run
  EXPECT_EQ(filled_question(ex, 0), "The woman thinks the key is most likely a ferry.");

  ex.question = "_ is better than _ .";  // only the first blank
  EXPECT_EQ(filled_question(ex, 0), "a ferry is better than _ .");

  ex.question = "How did Mara cross the river?";  // not a cloze question
  EXPECT_EQ(filled_question(ex, 1), "How did Mara cross the river? a bicycle");

  // On a fixture: the RACE cloze question.
  const McDataset race = read_race(kRace);
  EXPECT_EQ(filled_question(race.examples[0], race.examples[0].answer),
            "Mara crossed the river by a bicycle .");
}

// ---- errors -------------------------------------------------------------------------------------

/// Each test gets a fresh directory for the inputs it writes.
class McrcReadersTest : public test::ScratchDirTest {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  /// A copy of the MCTest fixture as NAME.tsv / NAME.ans with the given contents.
  std::string write_mctest(const std::string& tsv, const std::string& ans) {
    write("m.ans", ans);
    return write("m.tsv", tsv);
  }

};

// MCTest ------------------------------------------------------------------------------------------

TEST_F(McrcReadersTest, MctestWithUnixLineEndsReadsTheSame) {
  const std::string tsv = write_mctest(replace_all(slurp(kMctest), "\r\n", "\n"),
                                       replace_all(slurp(kMctestAns), "\r\n", "\n"));
  const McDataset a = read_mctest(kMctest);
  const McDataset b = read_mctest(tsv);
  ASSERT_EQ(b.examples.size(), a.examples.size());
  for (size_t i = 0; i < a.examples.size(); ++i) {
    EXPECT_EQ(b.examples[i].passage, a.examples[i].passage);
    EXPECT_EQ(b.examples[i].options, a.examples[i].options);
    EXPECT_EQ(b.examples[i].answer, a.examples[i].answer);
  }
}

TEST_F(McrcReadersTest, MctestTabEscapeIsUnescaped) {
  std::string tsv = slurp(kMctest);
  tsv.replace(tsv.find("\\newline"), 8, "\\tab");
  const McDataset ds = read_mctest(write_mctest(tsv, slurp(kMctestAns)));
  EXPECT_NE(ds.examples[0].passage.find("best friends to\tcome"), std::string::npos);
}

TEST_F(McrcReadersTest, ByteOrderMarkIsSkipped) {
  const std::string bom = "\xEF\xBB\xBF";
  const McDataset m = read_mctest(write_mctest(bom + slurp(kMctest), bom + slurp(kMctestAns)));
  EXPECT_EQ(m.examples[0].id, "mc160.dev.0-0");
  EXPECT_EQ(read_dream(write("d.json", bom + slurp(kDream))).examples.size(), 3u);
  EXPECT_EQ(read_mcscript(write("s.xml", bom + slurp(kMcscript))).examples.size(), 3u);
  write("r/1.txt", bom + slurp(kRace + "/middle/middle3.txt"));
  EXPECT_EQ(read_race(path("r")).examples.size(), 1u);
}

TEST_F(McrcReadersTest, MctestMissingAnswers) {
  const std::string tsv = write("m.tsv", slurp(kMctest));
  EXPECT_EQ(input_error([&] { read_mctest(tsv); }),
            path("m.ans") + ": no such file (MCTest answers for " + tsv +
                ", looked for beside it with the same stem)");
}

TEST_F(McrcReadersTest, MctestNeedsTsvExtension) {
  const std::string txt = write("m.txt", slurp(kMctest));
  EXPECT_TRUE(
      starts_with(input_error([&] { read_mctest(txt); }), txt + ": expected an MCTest .tsv file"));
}

TEST_F(McrcReadersTest, MctestWrongFieldCount) {
  std::string tsv = slurp(kMctest);
  tsv = replace_all(tsv, "\tShe went to summer school.", "");  // line 2 loses its last field
  const std::string p = write_mctest(tsv, slurp(kMctestAns));
  EXPECT_EQ(input_error([&] { read_mctest(p); }),
            p + ":2: expected 23 tab-separated fields (id, properties, story, then 4 x question "
                "and answers A-D), found 22");
}

TEST_F(McrcReadersTest, MctestBlankLine) {
  const std::string p = write_mctest("\r\n" + slurp(kMctest), "A\tA\tA\tA\r\n" + slurp(kMctestAns));
  EXPECT_EQ(input_error([&] { read_mctest(p); }),
            p + ":1: expected 23 tab-separated fields (id, properties, story, then 4 x question "
                "and answers A-D), found 1 (blank line)");
}

TEST_F(McrcReadersTest, MctestAnswerLetterOutOfRange) {
  const std::string p = write_mctest(slurp(kMctest), "A\tC\tB\tB\r\nC\tD\tE\tA\r\n");
  EXPECT_EQ(input_error([&] { read_mctest(p); }),
            path("m.ans") + ":2: answer 3 is 'E', expected A, B, C or D");
  const std::string q = write_mctest(slurp(kMctest), "A\tc\tB\tB\r\nC\tD\tD\tA\r\n");
  EXPECT_EQ(input_error([&] { read_mctest(q); }),
            path("m.ans") + ":1: answer 2 is 'c', expected A, B, C or D");
}

TEST_F(McrcReadersTest, MctestAnswerLineWithThreeLetters) {
  const std::string p = write_mctest(slurp(kMctest), "A\tC\tB\r\nC\tD\tD\tA\r\n");
  EXPECT_EQ(input_error([&] { read_mctest(p); }),
            path("m.ans") + ":1: expected 4 tab-separated answer letters (A, B, C or D), found 3");
}

TEST_F(McrcReadersTest, MctestLineCountsDiffer) {
  const std::string fewer = write_mctest(slurp(kMctest), "A\tC\tB\tB\r\n");
  EXPECT_EQ(input_error([&] { read_mctest(fewer); }),
            fewer + ":2: story 2 has no answer line (" + path("m.ans") + " has 1)");
  const std::string more = write_mctest(slurp(kMctest), slurp(kMctestAns) + "A\tA\tA\tA\r\n");
  EXPECT_EQ(input_error([&] { read_mctest(more); }),
            path("m.ans") + ":3: answer line without a story (" + more + " has 2 lines)");
}

TEST_F(McrcReadersTest, MctestQuestionWithoutKindPrefix) {
  const std::string tsv = replace_all(slurp(kMctest), "multiple: Who didn't", "Who didn't");
  const std::string p = write_mctest(tsv, slurp(kMctestAns));
  EXPECT_EQ(input_error([&] { read_mctest(p); }),
            p + ":1: question 2 (field 9) does not start with \"one: \" or \"multiple: \"; is "
                "this an MCTest .tsv file?");
}

TEST_F(McrcReadersTest, MctestEmptyFiles) {
  const std::string p = write_mctest("", "");
  EXPECT_EQ(input_error([&] { read_mctest(p); }), p + ": no questions found");
}

// DREAM -------------------------------------------------------------------------------------------

TEST_F(McrcReadersTest, DreamMalformedJsonNamesLine) {
  const std::string p =
      write("d.json", "[\n  [[\"M: hi\"],\n   [{\"question\": \"q\",,}], \"x\"]\n]");
  const std::string e = input_error([&] { read_dream(p); });
  EXPECT_TRUE(starts_with(e, p + ":3: malformed JSON: ")) << e;
  EXPECT_TRUE(ends_with(e, "(column 22)")) << e;
}

TEST_F(McrcReadersTest, DreamTopLevelMustBeAList) {
  const std::string p = write("d.json", "{\"data\": []}");
  EXPECT_EQ(input_error([&] { read_dream(p); }), p + ": top level: expected a list, found object");
}

TEST_F(McrcReadersTest, DreamMissingKey) {
  std::string json = slurp(kDream);
  json = replace_all(json, "\"answer\": \"in a coat pocket\"", "\"answr\": \"in a coat pocket\"");
  const std::string p = write("d.json", json);
  EXPECT_EQ(input_error([&] { read_dream(p); }), p + ": key [0][1][1].answer: missing");
}

TEST_F(McrcReadersTest, DreamWrongType) {
  const std::string p = write("d.json", replace_all(slurp(kDream), "\"t-2\"", "2"));
  EXPECT_EQ(input_error([&] { read_dream(p); }),
            p + ": key [1][2]: expected a string, found number");
  const std::string q = write("e.json",
                              "[[[\"M: hi\"], [{\"question\": \"q\", \"choice\": "
                              "\"a b c\", \"answer\": \"a\"}], \"x\"]]");
  EXPECT_EQ(input_error([&] { read_dream(q); }),
            q + ": key [0][1][0].choice: expected a list, found string");
  const std::string r = write("f.json", "[[[\"M: hi\", 7], [], \"x\"]]");
  EXPECT_EQ(input_error([&] { read_dream(r); }),
            r + ": key [0][0][1]: expected a string, found number");
}

TEST_F(McrcReadersTest, DreamOptionCount) {
  const std::string p = write("d.json", replace_all(slurp(kDream), "\"Two.\",", ""));
  EXPECT_EQ(input_error([&] { read_dream(p); }),
            p + ": key [1][1][0].choice: expected 3 options, found 2");
}

TEST_F(McrcReadersTest, DreamAnswerNotAChoice) {
  const std::string p =
      write("d.json", replace_all(slurp(kDream), "\"answer\": \"Four.\"", "\"answer\": \"Five.\""));
  EXPECT_EQ(input_error([&] { read_dream(p); }),
            p + ": key [1][1][0].answer: \"Five.\" is not one of the choices");
  const std::string q = write("e.json", replace_all(slurp(kDream), "\"Seven.\"", "\"Four.\""));
  EXPECT_EQ(input_error([&] { read_dream(q); }),
            q + ": key [1][1][0].answer: \"Four.\" occurs 2 times in choice");
}

TEST_F(McrcReadersTest, DreamDialogueShape) {
  const std::string p = write("d.json", "[[[\"M: hi\"], []]]");
  EXPECT_EQ(input_error([&] { read_dream(p); }),
            p + ": key [0]: expected [turns, questions, dialogue id], found a list of 2");
  const std::string q = write("e.json", "[[[\"M: hi\"], [\"q\"], \"x\"]]");
  EXPECT_EQ(input_error([&] { read_dream(q); }),
            q + ": key [0][1][0]: expected an object, found string");
  const std::string r = write("f.json", "[]");
  EXPECT_EQ(input_error([&] { read_dream(r); }), r + ": no questions found");
  EXPECT_EQ(input_error([&] { read_dream(path("none.json")); }),
            path("none.json") + ": no such file (DREAM JSON file)");
}

// MCScript ----------------------------------------------------------------------------------------

/// A one-instance MCScript file around `questions` (lines 4 on).
std::string mcscript(const std::string& questions) {
  return "<?xml version=\"1.0\" ?>\n"
         "<data>\n"
         "  <instance id=\"1\"><text>Some text.</text><questions>\n" +
         questions +
         "  </questions></instance>\n"
         "</data>\n";
}

const std::string kGoodQuestion =
    "    <question id=\"0\" text=\"Q?\">\n"
    "      <answer correct=\"True\" id=\"0\" text=\"yes\"/>\n"
    "      <answer correct=\"False\" id=\"1\" text=\"no\"/>\n"
    "    </question>\n";

TEST_F(McrcReadersTest, McscriptMinimalFileReads) {
  const McDataset ds = read_mcscript(write("m.xml", mcscript(kGoodQuestion)));
  ASSERT_EQ(ds.examples.size(), 1u);
  EXPECT_EQ(ds.examples[0].origin, path("m.xml") + ":4");
  EXPECT_EQ(ds.examples[0].passage, "Some text.");
}

TEST_F(McrcReadersTest, McscriptWhitespaceRules) {
  // Attribute values: literal line ends and tabs become spaces, &#10; stays a newline; single
  // quotes work. Text: "\r\n" becomes "\n", other whitespace stays.
  const std::string xml =
      "<data>\r\n<instance id='1'><text>  two\r\nlines\t</text><questions>"
      "<question id='0' text='a\r\nb\tc&#10;d'>"
      "<answer correct='True' id='0' text='x'/><answer correct='False' id='1' text='y'/>"
      "</question></questions></instance></data>";
  const McDataset ds = read_mcscript(write("m.xml", xml));
  ASSERT_EQ(ds.examples.size(), 1u);
  EXPECT_EQ(ds.examples[0].passage, "  two\nlines\t");
  EXPECT_EQ(ds.examples[0].question, "a b c\nd");
}

TEST_F(McrcReadersTest, McscriptMismatchedEndTag) {
  const std::string p =
      write("m.xml", mcscript("    <question id=\"0\" text=\"Q?\">\n"
                              "      <answer correct=\"True\" id=\"0\" text=\"y\"/>\n"
                              "  </questions>\n"));
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":6: </questions> where </question> was expected (<question> opened at line 4)");
}

TEST_F(McrcReadersTest, McscriptUnclosedElement) {
  const std::string p = write("m.xml", "<data>\n  <instance id=\"1\">\n    <text>abc");
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":3: <text> is not closed (end of file before </text>)");
}

TEST_F(McrcReadersTest, McscriptUnknownEntity) {
  const std::string p = write("m.xml", mcscript("    <question id=\"0\" text=\"Q&nbsp;?\">\n"));
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":4: unknown entity '&nbsp;' (only &amp; &lt; &gt; &quot; &apos; and &#N; / "
                "&#xN; are defined)");
  const std::string q = write("n.xml", "<data>\n<instance id=\"1\"><text>a & b</text>");
  EXPECT_EQ(input_error([&] { read_mcscript(q); }),
            q + ":2: '&' that starts no entity (write &amp; for a literal '&')");
  const std::string r = write("o.xml", "<data>\n\n<instance id=\"1\"><text>&#0;</text>");
  EXPECT_EQ(input_error([&] { read_mcscript(r); }), r + ":3: bad character reference '&#0;'");
  const std::string s = write("p.xml", "<data>\n<instance id=\"1\"><text>&#xZZ;</text>");
  EXPECT_EQ(input_error([&] { read_mcscript(s); }), s + ":2: bad character reference '&#xZZ;'");
}

TEST_F(McrcReadersTest, McscriptBadAttributes) {
  const std::string p = write("m.xml", "<data>\n<instance id=\"1\" id=\"2\">");
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":2: attribute id given twice in <instance>");
  const std::string q = write("n.xml", "<data>\n<instance id=1>");
  EXPECT_EQ(input_error([&] { read_mcscript(q); }),
            q + ":2: expected a quoted value for attribute id, found '1'");
  const std::string r = write("o.xml", "<data>\n<instance id=\"1\">\n<question text=\"a<b\"/>");
  EXPECT_EQ(input_error([&] { read_mcscript(r); }),
            r + ":3: '<' in the value of attribute text (write &lt;)");
  const std::string s = write("p.xml", "<data>\n<instance id=\"1\"\n text=\"abc");
  EXPECT_EQ(input_error([&] { read_mcscript(s); }),
            s + ":3: value of attribute text is not closed");
  const std::string t = write("q.xml", "<data>\n<instance id=\"1\"name=\"x\">");
  EXPECT_EQ(input_error([&] { read_mcscript(t); }),
            t + ":2: expected whitespace, '>' or '/>' in <instance>, found 'n'");
}

TEST_F(McrcReadersTest, McscriptDocumentStructure) {
  const std::string p = write("m.xml", "");
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":1: no root element (the file holds no XML element)");
  const std::string q = write("n.xml", "<data></data>\n<data></data>\n");
  EXPECT_EQ(input_error([&] { read_mcscript(q); }),
            q + ":2: a second element after the root element (XML has one root)");
  const std::string r = write("o.xml", "<data></data>\nextra");
  EXPECT_EQ(input_error([&] { read_mcscript(r); }), r + ":2: text after the root element");
  const std::string s = write("p.xml", "<!-- never closed\n<data></data>");
  EXPECT_EQ(input_error([&] { read_mcscript(s); }),
            s + ":1: comment <!-- is not closed (no '-->')");
  const std::string t = write("q.xml", "<data>\n</data>");
  EXPECT_EQ(input_error([&] { read_mcscript(t); }), t + ": no questions found");
}

TEST_F(McrcReadersTest, McscriptSchemaErrors) {
  const std::string p = write("m.xml", "<corpus/>");
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":1: root element is <corpus>, expected <data>");
  const std::string q = write("n.xml", "<data>\n  <instance id=\"1\">\n    <txt>a</txt>\n");
  // The parser reads the whole document first, so an unclosed file is reported before the schema.
  EXPECT_EQ(input_error([&] { read_mcscript(q); }),
            q + ":2: <instance> is not closed (end of file before </instance>)");
  const std::string r =
      write("o.xml", "<data>\n  <instance id=\"1\">\n    <txt>a</txt>\n  </instance>\n</data>");
  EXPECT_EQ(input_error([&] { read_mcscript(r); }),
            r + ":3: unexpected <txt> in <instance> (expected <text> and <questions>)");
  const std::string s =
      write("p.xml", "<data>\n  <instance id=\"1\"><questions/></instance>\n</data>");
  EXPECT_EQ(input_error([&] { read_mcscript(s); }), s + ":2: <instance id=\"1\"> has no <text>");
  const std::string t =
      write("q.xml", "<data>\n  <instance><text/><questions/></instance>\n</data>");
  EXPECT_EQ(input_error([&] { read_mcscript(t); }), t + ":2: <instance> has no id attribute");
  const std::string u = write("r.xml", mcscript("    stray words\n" + kGoodQuestion));
  EXPECT_EQ(input_error([&] { read_mcscript(u); }), u + ":4: unexpected text in <questions>");
}

TEST_F(McrcReadersTest, McscriptAnswerErrors) {
  const std::string two_true = replace_all(kGoodQuestion, "\"False\"", "\"True\"");
  const std::string p = write("m.xml", mcscript(kGoodQuestion + two_true));
  EXPECT_EQ(input_error([&] { read_mcscript(p); }),
            p + ":8: question 1-0 has 2 answers with correct=\"True\", expected exactly one");
  const std::string none_true = replace_all(kGoodQuestion, "\"True\"", "\"False\"");
  const std::string q = write("n.xml", mcscript(none_true));
  EXPECT_EQ(input_error([&] { read_mcscript(q); }),
            q + ":4: question 1-0 has 0 answers with correct=\"True\", expected exactly one");
  const std::string three =
      replace_all(kGoodQuestion, "    </question>",
                  "      <answer correct=\"False\" id=\"2\" text=\"maybe\"/>\n"
                  "    </question>");
  const std::string r = write("o.xml", mcscript(three));
  EXPECT_EQ(input_error([&] { read_mcscript(r); }),
            r + ":4: question 1-0 has 3 answers, expected 2");
  const std::string s = write("p.xml", mcscript(replace_all(kGoodQuestion, "\"True\"", "\"yes\"")));
  EXPECT_EQ(input_error([&] { read_mcscript(s); }),
            s + ":5: correct=\"yes\", expected \"True\" or \"False\"");
  const std::string t = write("q.xml", mcscript(replace_all(kGoodQuestion, " text=\"no\"", "")));
  EXPECT_EQ(input_error([&] { read_mcscript(t); }), t + ":6: <answer> has no text attribute");
  const std::string u = write("r.xml", mcscript(replace_all(kGoodQuestion, " text=\"Q?\"", "")));
  EXPECT_EQ(input_error([&] { read_mcscript(u); }), u + ":4: <question> has no text attribute");
}

// RACE --------------------------------------------------------------------------------------------

const std::string kRaceArticle =
    "{\"answers\": [\"B\", \"A\"],\n"
    " \"options\": [[\"w\", \"x\", \"y\", \"z\"], [\"1\", \"2\", \"3\", \"4\"]],\n"
    " \"questions\": [\"First?\", \"Second _ .\"],\n"
    " \"article\": \"Some article.\", \"id\": \"high1.txt\"}\n";

TEST_F(McrcReadersTest, RaceSkipsOtherFilesAndFallsBackToPath) {
  write("r/b/2.txt", replace_all(kRaceArticle, ", \"id\": \"high1.txt\"", ""));
  write("r/a/1.txt", kRaceArticle);
  write("r/a/README.md", "not an article");
  write("r/.DS_Store", "junk");
  const McDataset ds = read_race(path("r"));
  ASSERT_EQ(ds.examples.size(), 4u);
  EXPECT_EQ(ds.examples[0].id, "high1.txt-0");
  EXPECT_EQ(ds.examples[0].answer, 1);
  EXPECT_EQ(ds.examples[2].id, "b/2.txt-0");  // no "id": the path below the folder
  EXPECT_EQ(ds.examples[3].origin, path("r/b/2.txt") + ":questions[1]");
}

TEST_F(McrcReadersTest, RaceFolderErrors) {
  EXPECT_EQ(input_error([&] { read_race(path("nowhere")); }),
            path("nowhere") + ": no such directory");
  const std::string file = write("a.txt", kRaceArticle);
  EXPECT_EQ(input_error([&] { read_race(file); }),
            file + ": not a directory (RACE is read from a folder of .txt files, e.g. RACE/dev)");
  write("empty/notes.md", "x");
  EXPECT_EQ(input_error([&] { read_race(path("empty")); }),
            path("empty") + ": no .txt files below this directory");
}

TEST_F(McrcReadersTest, RaceListLengthsDiffer) {
  const std::string f =
      write("r/1.txt", replace_all(kRaceArticle, ", [\"1\", \"2\", \"3\", \"4\"]", ""));
  EXPECT_EQ(input_error([&] { read_race(path("r")); }),
            f + ": key options: has 1 entries, questions has 2");
  const std::string g = write("s/1.txt", replace_all(kRaceArticle, "[\"B\", \"A\"]", "[\"B\"]"));
  EXPECT_EQ(input_error([&] { read_race(path("s")); }),
            g + ": key answers: has 1 entries, questions has 2");
}

TEST_F(McrcReadersTest, RaceOptionCountAndAnswerLetter) {
  const std::string f = write("r/1.txt", replace_all(kRaceArticle, "\"w\", ", ""));
  EXPECT_EQ(input_error([&] { read_race(path("r")); }),
            f + ": key options[0]: expected 4 options, found 3");
  const std::string g = write("s/1.txt", replace_all(kRaceArticle, "\"A\"]", "\"E\"]"));
  EXPECT_EQ(input_error([&] { read_race(path("s")); }),
            g + ": key answers[1]: \"E\", expected A, B, C or D");
  const std::string h = write("t/1.txt", replace_all(kRaceArticle, "\"A\"]", "0]"));
  EXPECT_EQ(input_error([&] { read_race(path("t")); }),
            h + ": key answers[1]: expected a string, found number");
}

TEST_F(McrcReadersTest, RaceMissingKeyAndMalformedJson) {
  const std::string f = write("r/1.txt", replace_all(kRaceArticle, "\"article\"", "\"passage\""));
  EXPECT_EQ(input_error([&] { read_race(path("r")); }), f + ": key article: missing");
  const std::string g =
      write("s/1.txt", replace_all(kRaceArticle, "\"questions\":", "\"questions\""));
  const std::string e = input_error([&] { read_race(path("s")); });
  EXPECT_TRUE(starts_with(e, g + ":3: malformed JSON: ")) << e;
  const std::string h = write("t/1.txt", "[1, 2]");
  EXPECT_EQ(input_error([&] { read_race(path("t")); }),
            h + ": top level: expected an object, found array");
}

// ---- the generic parsers under the readers (pipeline/io) ----------------------------------------

TEST(XmlSubset, TreeTextAndLines) {
  const std::string xml =
      "<?xml version=\"1.0\"?>\n<!-- c -->\n<a x=\"1\tB &amp; C\">\n"
      "  <b>one &lt;two&gt; <![CDATA[<3>]]></b>\r\n  <c/>\n</a>\n";
  const XmlElement root = parse_xml_subset("mem.xml", xml);
  EXPECT_EQ(root.name, "a");
  EXPECT_EQ(root.line, 3);
  EXPECT_EQ(root.text_line, 0);  // only whitespace directly inside <a>
  ASSERT_NE(root.attribute("x"), nullptr);
  EXPECT_EQ(*root.attribute("x"), "1 B & C");  // a tab in a value becomes a space
  EXPECT_EQ(root.attribute("y"), nullptr);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].text, "one <two> <3>");
  EXPECT_EQ(root.children[0].text_line, 4);
  EXPECT_EQ(root.children[1].name, "c");
  EXPECT_EQ(root.children[1].line, 5);
  EXPECT_EQ(input_error([] { parse_xml_subset("mem.xml", "<a>\n<b></a>"); }),
            "mem.xml:2: </a> where </b> was expected (<b> opened at line 2)");
  EXPECT_EQ(input_error([] { parse_xml_subset("mem.xml", "  \n"); }),
            "mem.xml:2: no root element (the file holds no XML element)");
}

TEST(JsonPath, KeyPathsInMessages) {
  const nlohmann::json doc = parse_json_file("mem.json", R"({"a": [{"b": 1}, "s"]})");
  const JsonPathReader r("mem.json");
  const std::string a = json_key_member("", "a");
  EXPECT_EQ(a, "a");
  const nlohmann::json& list = r.list(r.member(doc, "", "a"), a);
  EXPECT_EQ(r.string(list[1], json_key_index(a, 1)), "s");
  EXPECT_EQ(input_error([&] { r.string(r.member(list[0], json_key_index(a, 0), "b"),
                                       json_key_member(json_key_index(a, 0), "b")); }),
            "mem.json: key a[0].b: expected a string, found number");
  EXPECT_EQ(input_error([&] { r.member(list[0], json_key_index(a, 0), "c"); }),
            "mem.json: key a[0].c: missing");
  EXPECT_EQ(input_error([&] { r.strings(doc, ""); }),
            "mem.json: top level: expected a list, found object");
  EXPECT_TRUE(starts_with(input_error([] { parse_json_file("mem.json", "{\n  \"a\": ,}"); }),
                          "mem.json:2: malformed JSON: "));
}

}  // namespace
}  // namespace bertology
