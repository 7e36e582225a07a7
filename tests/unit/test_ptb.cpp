// Tests of Penn Treebank input (pipeline/corpus/ptb*.h): the bracket reader (multi-line and
// several trees per file, WSJ "( (S ...) )" and "(ROOT ...)" roots, -NONE- removal, label
// splitting, one-line FILE:LINE errors), the conversion to basic Stanford Dependencies on
// hand-written trees (every relation the converter emits, with exact heads and labels), the
// Penn2Malt-style heads, and corpus format `ptb` (file, directory, glob, hashing).
//
// All trees here were written for these tests; none comes from a treebank. Expected heads follow
// the SD manual and, where the manual is silent, what the Stanford converter does (see
// ptb_to_dep.h). A converted sentence is written "word/head/label ..." with 1-based heads.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/corpus/corpus.h"
#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"
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

const std::string kDir = std::string(BERTOLOGY_FIXTURES_DIR) + "/ptb";
const std::string kWsj = kDir + "/wsj_style.mrg";
const std::string kRoot = kDir + "/root_style.penn";
const std::string kTreeDir = kDir + "/tree_dir";

using test::slurp;

/// The only tree in `text`.
PtbTree one_tree(const std::string& text) {
  auto trees = parse_ptb(text, "test.mrg");
  EXPECT_EQ(trees.size(), 1u) << text;
  return trees.empty() ? PtbTree{} : trees[0];
}

/// "word/head/label ..." of the conversion of `tree`.
std::string convert(const std::string& tree, const DepOptions& options = {}) {
  std::string out;
  for (const DepToken& d : ptb_to_dependencies(one_tree(tree).root, options)) {
    if (!out.empty()) out += ' ';
    out += cat(d.word, "/", d.head, "/", d.deprel);
  }
  return out;
}

std::string malt(const std::string& tree) {
  DepOptions options;
  options.style = DepStyle::Malt;
  return convert(tree, options);
}

// ------------------------------------------------------------------------------------------------
// Reader

TEST(PtbReaderTest, SplitsLabels) {
  const PtbLabel a = split_ptb_label("NP-SBJ-1");
  EXPECT_EQ(a.category, "NP");
  EXPECT_EQ(a.function_tags, std::vector<std::string>({"SBJ"}));
  const PtbLabel b = split_ptb_label("PP-LOC-CLR=2");
  EXPECT_EQ(b.category, "PP");
  EXPECT_EQ(b.function_tags, std::vector<std::string>({"LOC", "CLR"}));
  EXPECT_EQ(split_ptb_label("WHNP-3").category, "WHNP");
  EXPECT_TRUE(split_ptb_label("WHNP-3").function_tags.empty());
  EXPECT_EQ(split_ptb_label("PRT|ADVP").category, "PRT");
  EXPECT_TRUE(split_ptb_label("PRT|ADVP").function_tags.empty());
  // Dashes that open a label are part of it.
  for (const char* kept : {"-NONE-", "-LRB-", "-RRB-", "PRP$", "``", ",", ".", "-"}) {
    EXPECT_EQ(split_ptb_label(kept).category, kept);
    EXPECT_TRUE(split_ptb_label(kept).function_tags.empty()) << kept;
  }
  EXPECT_EQ(split_ptb_label("-NONE--1").category, "-NONE-");
}

TEST(PtbReaderTest, WsjStyleFileWithSeveralMultiLineTrees) {
  const auto trees = parse_ptb(slurp(kWsj), kWsj);
  ASSERT_EQ(trees.size(), 3u);
  // Opening-bracket lines of the three trees (the file has a blank line before the third).
  EXPECT_EQ(trees[0].origin, kWsj + ":1");
  EXPECT_EQ(trees[1].origin, kWsj + ":9");
  EXPECT_EQ(trees[2].origin, kWsj + ":21");
  // The unlabeled WSJ wrapper stays as the root; tags and indices are gone, -NONE- leaves and
  // the NP that held only one are removed.
  EXPECT_EQ(trees[0].root.label, "");
  EXPECT_EQ(ptb_to_string(trees[0].root),
            "( (S (NP (DT The) (JJ old) (NN ferry)) (VP (VBD was) (VP (VBN repaired) (PP (IN after) (NP (DT "
            "the) (NN storm))))) (. .)))");
  const PtbNode& subject = trees[0].root.children[0].children[0];
  EXPECT_EQ(subject.label, "NP");
  EXPECT_EQ(subject.function_tags, std::vector<std::string>({"SBJ"}));
  EXPECT_EQ(subject.line, 2);
  EXPECT_EQ(trees[0].root.children[0].children[1].children[1].children[1].function_tags,
            std::vector<std::string>({"TMP"}));
  // A whole S subject of empty elements disappears; -LRB- / -RRB- keep their labels and words.
  EXPECT_EQ(ptb_to_string(trees[1].root),
            "( (S (NP (NNP Lena)) (VP (VBD wanted) (S (VP (TO to) (VP (VB paint) (NP (NP (DT the) (NN "
            "boat)) (-LRB- -LRB-) (NP (JJ blue) (NNS ones)) (-RRB- -RRB-)))))) (. .)))");
  // (S (-NONE- *T*-3)) leaves nothing behind.
  EXPECT_EQ(ptb_to_string(trees[2].root),
            "( (SINV (`` ``) (S (NP (PRP It)) (VP (VBZ floats))) (, ,) ('' '') (VP (VBD said)) (NP (DT the) "
            "(NN captain)) (. .)))");
  std::vector<std::string> words;
  for (const PtbNode* leaf : ptb_leaves(trees[2].root)) words.push_back(leaf->word + "/" + leaf->label);
  EXPECT_EQ(words, std::vector<std::string>({"``/``", "It/PRP", "floats/VBZ", ",/,", "''/''", "said/VBD",
                                             "the/DT", "captain/NN", "./."}));
}

TEST(PtbReaderTest, EmptyElementsCanBeKept) {
  PtbReadOptions keep;
  keep.remove_empty_elements = false;
  const auto trees = parse_ptb(slurp(kWsj), kWsj, 0, keep);
  ASSERT_EQ(trees.size(), 3u);
  EXPECT_EQ(ptb_leaves(trees[0].root).size(), 10u);  // 9 words and *-1
  PtbNode copy = trees[0].root;
  EXPECT_EQ(remove_empty_elements(&copy), 1);
  EXPECT_EQ(ptb_to_string(copy), ptb_to_string(parse_ptb(slurp(kWsj), kWsj)[0].root));
  // The conversion drops them itself.
  EXPECT_EQ(ptb_to_dependencies(trees[0].root).size(), 9u);
}

TEST(PtbReaderTest, RootAndUnlabeledWrappers) {
  const auto trees = parse_ptb(slurp(kRoot), kRoot);
  ASSERT_EQ(trees.size(), 3u);
  EXPECT_EQ(trees[0].root.label, "ROOT");
  EXPECT_EQ(trees[0].origin, kRoot + ":1");
  EXPECT_EQ(trees[1].root.label, "ROOT");
  EXPECT_EQ(trees[1].origin, kRoot + ":7");
  EXPECT_EQ(trees[2].root.label, "");
  EXPECT_EQ(trees[2].origin, kRoot + ":8");
  EXPECT_EQ(ptb_to_string(trees[1].root), "(ROOT (FRAG (NP (NN Rain)) (. !)))");
  // max_trees stops early.
  EXPECT_EQ(parse_ptb(slurp(kRoot), kRoot, 2).size(), 2u);
}

TEST(PtbReaderTest, WindowsLineEndingsAndNoFinalNewline) {
  const auto trees = parse_ptb("(ROOT\r\n (S (NP (PRP I)) (VP (VBD ran))))\r\n(ROOT (X (SYM z)))", "crlf.mrg");
  ASSERT_EQ(trees.size(), 2u);
  EXPECT_EQ(trees[1].origin, "crlf.mrg:3");
  EXPECT_EQ(ptb_to_string(trees[0].root), "(ROOT (S (NP (PRP I)) (VP (VBD ran))))");
}

TEST(PtbReaderTest, ErrorsNameFileLineAndProblem) {
  auto error = [](const std::string& text) { return input_error([&] { parse_ptb(text, "bad.mrg"); }); };
  EXPECT_EQ(error("( (S (NP (NN a))\n  (VP (VBD b))\n"),
            "bad.mrg:1: unbalanced brackets: '(S' opened here is never closed");
  EXPECT_EQ(error("(S (NP (NN a))\n   (VP (VBD b\n"),
            "bad.mrg:2: unbalanced brackets: '(VBD' opened here is never closed");
  EXPECT_EQ(error("(S (NN a)))\n"), "bad.mrg:1: unbalanced brackets: ')' without a matching '('");
  EXPECT_EQ(error("(S\n (NP the (NN dog)))"), "bad.mrg:2: word 'the' has no POS tag (it is a sibling of a bracket)");
  EXPECT_EQ(error("(S (NP (DT the)\n dog))"), "bad.mrg:2: word 'dog' has no POS tag (it is a sibling of a bracket)");
  EXPECT_EQ(error("(S (NN a))\n\nhello (S (NN b))\n"),
            "bad.mrg:3: unexpected text 'hello' between trees (expected '(')");
  EXPECT_EQ(error("(S (NN a b))"), "bad.mrg:1: '(NN a' holds a second word 'b' (one word per POS tag)");
  EXPECT_EQ(error("(S (NN a))\n()"), "bad.mrg:2: empty brackets '()'");
  EXPECT_EQ(error("(S (NP (NN)))"),
            "bad.mrg:1: '(NN)' has neither a word nor children (a word without a POS tag?)");
  std::string deep;
  for (int i = 0; i < 1001; ++i) deep += i % 2 ? "(X " : "(Y ";
  EXPECT_EQ(error(deep), "bad.mrg:1: brackets nested deeper than 1000");
}

// ------------------------------------------------------------------------------------------------
// Stanford Dependencies: one test per construction, each relation checked with its head

TEST(PtbSdTest, SubjectsObjectsAndModifiers) {
  // nsubj, iobj, dobj, poss, det, amod, tmod (NP-TMP), punct, root.
  EXPECT_EQ(convert("(ROOT (S (NP (NNP Maria)) (VP (VBD gave) (NP (PRP$ her) (NN brother)) (NP (DT a) (JJ blue) "
                    "(NN kite)) (NP-TMP (NN yesterday))) (. .)))"),
            "Maria/2/nsubj gave/0/root her/4/poss brother/2/iobj a/7/det blue/7/amod kite/2/dobj "
            "yesterday/2/tmod ./2/punct");
  // tmod from a time word without the function tag; nn.
  EXPECT_EQ(convert("(ROOT (S (NP (DT The) (NN bus) (NN driver)) (VP (VBD waved) (NP (JJ last) (NN week))) (. .)))"),
            "The/3/det bus/3/nn driver/4/nsubj waved/0/root last/6/amod week/4/tmod ./4/punct");
}

TEST(PtbSdTest, PassiveAuxiliariesAndNumbers) {
  // aux, auxpass, nsubjpass, prep, pobj, num; the trace *-1 is dropped.
  EXPECT_EQ(convert("( (S (NP-SBJ-1 (DT The) (JJ old) (NN dog)) (VP (VBZ has) (VP (VBN been) (VP (VBN chased) "
                    "(NP (-NONE- *-1)) (PP (IN by) (NP (CD two) (NNS cats)))))) (. .)))"),
            "The/3/det old/3/amod dog/6/nsubjpass has/6/aux been/6/auxpass chased/0/root by/6/prep two/9/num "
            "cats/7/pobj ./6/punct");
  // A get-passive.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP He)) (VP (VBD got) (VP (VBN fired))) (. .)))"),
            "He/3/nsubjpass got/3/auxpass fired/0/root ./3/punct");
  // Modal and progressive: aux, not auxpass.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP We)) (VP (MD will) (VP (VB be) (VP (VBG singing)))) (. .)))"),
            "We/4/nsubj will/4/aux be/4/aux singing/0/root ./4/punct");
}

TEST(PtbSdTest, CopulaNegationAndAdverbs) {
  // cop, neg, advmod: the predicate heads the clause.
  EXPECT_EQ(convert("(ROOT (S (NP (DT The) (NN soup)) (VP (VBZ is) (RB not) (ADJP (RB very) (JJ hot))) (. .)))"),
            "The/2/det soup/6/nsubj is/6/cop not/6/neg very/6/advmod hot/0/root ./6/punct");
  EXPECT_EQ(convert("(ROOT (S (NP (PRP She)) (VP (VBD became) (NP (DT a) (NN pilot))) (. .)))"),
            "She/4/nsubj became/4/cop a/4/det pilot/0/root ./4/punct");
  // "be" with a PP stays the head; n't is neg.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP It)) (VP (VBZ is) (RB n't) (PP (IN in) (NP (DT the) (NN box)))) (. .)))"),
            "It/2/nsubj is/0/root n't/2/neg in/2/prep the/6/det box/4/pobj ./2/punct");
  // acomp after a verb that is not a copula.
  EXPECT_EQ(convert("(ROOT (S (NP (DT The) (NN bread)) (VP (VBZ smells) (ADJP (JJ fresh))) (. .)))"),
            "The/2/det bread/3/nsubj smells/0/root fresh/3/acomp ./3/punct");
  // "no" is neg too.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP We)) (VP (VBD had) (NP (DT no) (NN money))) (. .)))"),
            "We/2/nsubj had/0/root no/4/neg money/2/dobj ./2/punct");
}

TEST(PtbSdTest, ExistentialThere) {
  EXPECT_EQ(convert("(ROOT (S (NP (EX There)) (VP (VBZ is) (NP (DT a) (NN cat)) (ADVP (RB here))) (. .)))"),
            "There/2/expl is/0/root a/4/det cat/2/nsubj here/2/advmod ./2/punct");
}

TEST(PtbSdTest, Possessives) {
  // poss of the possessor NP, possessive for the clitic (child of the possessor).
  EXPECT_EQ(convert("(ROOT (S (NP (NP (NNP Anna) (POS 's)) (NN cousin)) (VP (VBZ bakes) (NP (NN bread))) (. .)))"),
            "Anna/3/poss 's/1/possessive cousin/4/nsubj bakes/0/root bread/4/dobj ./4/punct");
  EXPECT_EQ(convert("(ROOT (NP (NP (DT the) (NNS boys) (POS ')) (NNS bikes)))"),
            "the/2/det boys/4/poss '/2/possessive bikes/0/root");
}

TEST(PtbSdTest, Coordination) {
  // The first conjunct heads; cc and conj attach to it, in NPs and in VPs, also in lists.
  EXPECT_EQ(convert("(ROOT (S (NP (NNS Cats) (CC and) (NNS dogs)) (VP (VP (VBP sleep)) (, ,) (VP (VBP eat)) (CC "
                    "and) (VP (VBP play))) (. .)))"),
            "Cats/4/nsubj and/1/cc dogs/1/conj sleep/0/root ,/4/punct eat/4/conj and/4/cc play/4/conj ./4/punct");
  // A flat three-way coordination: everything on the first conjunct.
  EXPECT_EQ(convert("(ROOT (NP (DT a) (NN hiss) (CC and) (NN pop) (CC and) (NN crackle)))"),
            "a/2/det hiss/0/root and/2/cc pop/2/conj and/2/cc crackle/2/conj");
  // Coordinated premodifiers: "red or green" first, then the noun.
  EXPECT_EQ(convert("(ROOT (NP (DT the) (JJ red) (CC or) (JJ green) (NNS lights)))"),
            "the/5/det red/5/amod or/2/cc green/2/conj lights/0/root");
  // Preconjunct and predeterminer.
  EXPECT_EQ(convert("(ROOT (S (NP (CC Both) (NP (DT the) (NNS teachers)) (CC and) (NP (PDT all) (DT the) (NNS "
                    "students))) (VP (VBD laughed)) (. .)))"),
            "Both/3/preconj the/3/det teachers/8/nsubj and/3/cc all/7/predet the/7/det students/3/conj "
            "laughed/0/root ./8/punct");
  // Clauses: a sentence-initial "But" is cc of the verb; an adverb after "and" modifies the
  // second conjunct.
  EXPECT_EQ(convert("(ROOT (S (CC But) (NP (PRP he)) (VP (VP (VBD ate)) (CC and) (ADVP (RB then)) (VP (VBD slept))) "
                    "(. .)))"),
            "But/3/cc he/3/nsubj ate/0/root and/3/cc then/6/advmod slept/3/conj ./3/punct");
}

TEST(PtbSdTest, ParticlesAndClausalComplements) {
  // prt, dobj, mark, advcl.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP He)) (VP (VBD picked) (PRT (RP up)) (NP (DT the) (NNS keys)) (SBAR (IN "
                    "because) (S (NP (PRP he)) (VP (VBD was) (ADJP (JJ late)))))) (. .)))"),
            "He/2/nsubj picked/0/root up/2/prt the/5/det keys/2/dobj because/9/mark he/9/nsubj was/9/cop "
            "late/2/advcl ./2/punct");
  // ccomp with "that" as mark.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP She)) (VP (VBD said) (SBAR (IN that) (S (NP (PRP he)) (VP (VBD left))))) "
                    "(. .)))"),
            "She/2/nsubj said/0/root that/5/mark he/5/nsubj left/2/ccomp ./2/punct");
  // xcomp: a to-infinitive; "to" is aux.
  EXPECT_EQ(convert("(ROOT (S (NP-SBJ-1 (PRP They)) (VP (VBP want) (S (NP-SBJ (-NONE- *-1)) (VP (TO to) (VP (VB "
                    "win))))) (. .)))"),
            "They/2/nsubj want/0/root to/4/aux win/2/xcomp ./2/punct");
  // A small clause is xcomp, its subject nsubj.
  EXPECT_EQ(convert("(ROOT (S (NP (PRP They)) (VP (VBD painted) (S (NP (DT the) (NN door)) (ADJP (JJ red)))) (. .)))"),
            "They/2/nsubj painted/0/root the/4/det door/5/nsubj red/2/xcomp ./2/punct");
  // csubj: a clausal subject.
  EXPECT_EQ(convert("(ROOT (S (S (VP (VBG Winning) (NP (DT the) (NN race)))) (VP (VBD pleased) (NP (PRP him))) "
                    "(. .)))"),
            "Winning/4/csubj the/3/det race/1/dobj pleased/0/root him/4/dobj ./4/punct");
  // An adverbial clause opening the sentence, with a wh-adverb.
  EXPECT_EQ(convert("(ROOT (S (SBAR (WHADVP (WRB When)) (S (NP (PRP it)) (VP (VBD rained)))) (, ,) (NP (PRP we)) "
                    "(VP (VBD stayed)) (. .)))"),
            "When/3/advmod it/3/nsubj rained/6/advcl ,/6/punct we/6/nsubj stayed/0/root ./6/punct");
}

TEST(PtbSdTest, RelativeClausesAndReducedModifiers) {
  // rcmod; the relative pronoun is the subject of its clause (the trace is gone).
  EXPECT_EQ(convert("( (S (NP (NP (DT The) (NN man)) (SBAR (WHNP-1 (WP who)) (S (NP-SBJ (-NONE- *T*-1)) (VP (VBD "
                    "sold) (NP (DT the) (NN farm)))))) (VP (VBD moved)) (. .)))"),
            "The/2/det man/7/nsubj who/4/nsubj sold/2/rcmod the/6/det farm/4/dobj moved/0/root ./7/punct");
  // An object relative with "which": dobj.
  EXPECT_EQ(convert("(ROOT (NP (NP (DT the) (NN farm)) (SBAR (WHNP (WDT which)) (S (NP (PRP he)) (VP (VBD sold))))))"),
            "the/2/det farm/0/root which/5/dobj he/5/nsubj sold/2/rcmod");
  // An object relative with "that": the Stanford converter takes "that" for a complementizer
  // (mark) and finds no relation for the clause (dep).
  EXPECT_EQ(convert("(ROOT (NP (NP (DT the) (NN book)) (SBAR (WHNP (WDT that)) (S (NP (PRP I)) (VP (VBD read))))))"),
            "the/2/det book/0/root that/5/mark I/5/nsubj read/2/dep");
  // partmod / infmod, or vmod for both.
  const std::string participle =
      "(ROOT (S (NP (NP (DT A) (NN boy)) (VP (VBG wearing) (NP (DT a) (NN hat)))) (VP (VBD waved)) (. .)))";
  EXPECT_EQ(convert(participle), "A/2/det boy/6/nsubj wearing/2/partmod a/5/det hat/3/dobj waved/0/root ./6/punct");
  const std::string infinitive =
      "(ROOT (S (NP (PRP She)) (VP (VBD found) (NP (NP (DT a) (NN way)) (S (VP (TO to) (VP (VB help)))))) (. .)))";
  EXPECT_EQ(convert(infinitive), "She/2/nsubj found/0/root a/4/det way/2/dobj to/6/aux help/4/infmod ./2/punct");
  DepOptions vmod;
  vmod.vmod = true;
  EXPECT_EQ(convert(participle, vmod), "A/2/det boy/6/nsubj wearing/2/vmod a/5/det hat/3/dobj waved/0/root ./6/punct");
  EXPECT_EQ(convert(infinitive, vmod), "She/2/nsubj found/0/root a/4/det way/2/dobj to/6/aux help/4/vmod ./2/punct");
}

TEST(PtbSdTest, NumbersAndMeasures) {
  // quantmod and number inside QP; the QP is num of the noun.
  EXPECT_EQ(convert("(ROOT (S (NP (QP (RB About) (CD 3) (CD million)) (NNS people)) (VP (VBD voted)) (. .)))"),
            "About/3/quantmod 3/3/number million/4/num people/5/nsubj voted/0/root ./5/punct");
  // "more than": mwe on the preposition, which is quantmod.
  EXPECT_EQ(convert("(ROOT (NP (QP (JJR more) (IN than) (CD ten)) (NNS ships)))"),
            "more/2/mwe than/3/quantmod ten/4/num ships/0/root");
  // npadvmod: a measure NP before an adjective.
  EXPECT_EQ(convert("(ROOT (S (NP (DT The) (NN river)) (VP (VBZ is) (ADJP (NP (CD ten) (NNS miles)) (JJ long))) (. .)))"),
            "The/2/det river/6/nsubj is/6/cop ten/5/num miles/6/npadvmod long/0/root ./6/punct");
}

TEST(PtbSdTest, ApposPcompMweParataxisDiscourseDep) {
  EXPECT_EQ(convert("(ROOT (S (NP (NP (NNP Tom)) (, ,) (NP (PRP$ my) (NN neighbor)) (, ,)) (VP (VBD fixed) (NP (PRP "
                    "it))) (. .)))"),
            "Tom/6/nsubj ,/1/punct my/4/poss neighbor/1/appos ,/1/punct fixed/0/root it/6/dobj ./6/punct");
  EXPECT_EQ(convert("(ROOT (S (NP (PRP We)) (VP (VBD talked) (PP (IN about) (S (VP (VBG leaving) (ADVP (RB "
                    "early)))))) (. .)))"),
            "We/2/nsubj talked/0/root about/2/prep leaving/3/pcomp early/4/advmod ./2/punct");
  EXPECT_EQ(convert("(ROOT (S (NP (PRP He)) (VP (VBD left) (PP (IN because) (IN of) (NP (DT the) (NN rain)))) (. .)))"),
            "He/2/nsubj left/0/root because/4/mwe of/2/prep the/6/det rain/4/pobj ./2/punct");
  EXPECT_EQ(convert("(ROOT (S (NP (DT The) (NN plan)) (PRN (, ,) (S (NP (PRP he)) (VP (VBD said))) (, ,)) (VP (VBD "
                    "failed)) (. .)))"),
            "The/2/det plan/7/nsubj ,/5/punct he/5/nsubj said/7/parataxis ,/5/punct failed/0/root ./7/punct");
  EXPECT_EQ(convert("(ROOT (S (INTJ (UH Well)) (, ,) (NP (PRP we)) (VP (VBD won)) (. .)))"),
            "Well/4/discourse ,/4/punct we/4/nsubj won/0/root ./4/punct");
  // Quoted speech before its verb is ccomp.
  EXPECT_EQ(convert("( (SINV (`` ``) (S-TPC-3 (NP-SBJ (PRP It)) (VP (VBZ floats))) (, ,) ('' '') (VP (VBD said) (S "
                    "(-NONE- *T*-3))) (NP-SBJ (DT the) (NN captain)) (. .)))"),
            "``/6/punct It/3/nsubj floats/6/ccomp ,/6/punct ''/6/punct said/0/root the/8/det captain/6/nsubj "
            "./6/punct");
  // dep when no relation applies: two NPs side by side in a fragment.
  EXPECT_EQ(convert("(ROOT (FRAG (NP (NN Coffee)) (, ,) (NP (NN tea))))"), "Coffee/0/root ,/1/punct tea/1/dep");
}

TEST(PtbSdTest, EveryWordHasOneHeadAndTheTreeIsConnected) {
  const auto trees = parse_ptb(slurp(kWsj), kWsj);
  for (const PtbTree& t : trees) {
    for (DepStyle style : {DepStyle::Stanford, DepStyle::Malt}) {
      DepOptions options;
      options.style = style;
      const auto deps = ptb_to_dependencies(t.root, options);
      int roots = 0;
      for (size_t i = 0; i < deps.size(); ++i) {
        roots += deps[i].head == 0;
        // Following heads from any word reaches the root without a cycle.
        int at = static_cast<int>(i) + 1, steps = 0;
        while (at != 0 && steps <= static_cast<int>(deps.size())) {
          at = deps[static_cast<size_t>(at - 1)].head;
          ++steps;
        }
        EXPECT_EQ(at, 0) << t.origin << " word " << i + 1;
      }
      EXPECT_EQ(roots, 1) << t.origin;
    }
  }
  // The fixture's trees, converted.
  EXPECT_EQ(convert(ptb_to_string(trees[0].root)),
            "The/3/det old/3/amod ferry/5/nsubjpass was/5/auxpass repaired/0/root after/5/prep the/8/det "
            "storm/6/pobj ./5/punct");
  EXPECT_EQ(convert(ptb_to_string(trees[1].root)),
            "Lena/2/nsubj wanted/0/root to/4/aux paint/2/xcomp the/6/det boat/4/dobj -LRB-/6/punct blue/9/amod "
            "ones/6/appos -RRB-/6/punct ./2/punct");
}

TEST(PtbSdTest, TreeWithoutWordsIsAnError) {
  const auto trees = parse_ptb("( (S (NP-SBJ (-NONE- *)) (VP (-NONE- *?*))) )", "empty.mrg");
  ASSERT_EQ(trees.size(), 1u);
  EXPECT_EQ(input_error([&] { ptb_to_dependencies(trees[0].root, {}, trees[0].origin); }),
            "empty.mrg:1: tree has no words");
}

TEST(PtbSdTest, StyleNames) {
  EXPECT_EQ(parse_dep_style("sd"), DepStyle::Stanford);
  EXPECT_EQ(parse_dep_style("stanford"), DepStyle::Stanford);
  EXPECT_EQ(parse_dep_style("malt"), DepStyle::Malt);
  EXPECT_STREQ(dep_style_name(DepStyle::Malt), "malt");
  EXPECT_EQ(input_error([] { parse_dep_style("ud"); }), "unknown dependency style 'ud' (expected sd or malt)");
  EXPECT_TRUE(is_punctuation_tag("-LRB-"));
  EXPECT_TRUE(is_punctuation_tag("``"));
  EXPECT_FALSE(is_punctuation_tag("$"));
  EXPECT_FALSE(is_punctuation_tag("#"));
}

// ------------------------------------------------------------------------------------------------
// Penn2Malt-style heads

TEST(PtbMaltTest, AuxiliariesAndPrepositionsHead) {
  // The finite auxiliary heads the VP chain; the preposition heads its PP. Labels are the
  // parent phrase's category.
  EXPECT_EQ(malt("( (S (NP-SBJ (DT The) (JJ old) (NN dog)) (VP (VBZ has) (VP (VBN been) (VP (VBN chased) (PP (IN "
                 "by) (NP (CD two) (NNS cats)))))) (. .)))"),
            "The/3/NP old/3/NP dog/4/S has/0/ROOT been/4/VP chased/5/VP by/6/VP two/9/NP cats/7/PP ./4/S");
  // "to" depends on the verb; the last noun heads a coordinated NP; the clitic heads the possessor.
  EXPECT_EQ(malt("(ROOT (S (NP (NNS Cats) (CC and) (NNS dogs)) (VP (VBP want) (S (VP (TO to) (VP (VB win))))) (. .)))"),
            "Cats/3/NP and/3/NP dogs/4/S want/0/ROOT to/6/VP win/4/VP ./4/S");
  EXPECT_EQ(malt("(ROOT (NP (NP (NNP Anna) (POS 's)) (NN cousin)))"), "Anna/2/NP 's/3/NP cousin/0/ROOT");
  // Apposition: the last NP heads (Penn2Malt searches NPs from the right).
  EXPECT_EQ(malt("(ROOT (NP (NP (NNP Tom)) (, ,) (NP (DT the) (NN baker))))"), "Tom/4/NP ,/4/NP the/4/NP baker/0/ROOT");
  // The relative pronoun heads SBAR, the copula its VP.
  EXPECT_EQ(malt("(ROOT (NP (NP (DT a) (NN man)) (SBAR (WHNP (WP who)) (S (VP (VBZ is) (ADJP (JJ tall)))))))"),
            "a/2/NP man/0/ROOT who/2/NP is/3/SBAR tall/4/VP");
}

// ------------------------------------------------------------------------------------------------
// Corpus format ptb

class PtbCorpusTest : public test::ScratchDirTest {
 protected:
};

TEST_F(PtbCorpusTest, FormatName) {
  EXPECT_EQ(parse_corpus_format("ptb"), CorpusFormat::Ptb);
  EXPECT_STREQ(corpus_format_name(CorpusFormat::Ptb), "ptb");
}

TEST_F(PtbCorpusTest, OneFileWordsAnnotationsOriginsAndHash) {
  const Corpus c = read_corpus(kWsj, CorpusFormat::Ptb);
  EXPECT_EQ(c.path, kWsj);
  EXPECT_EQ(c.format, CorpusFormat::Ptb);
  ASSERT_EQ(c.sentences.size(), 3u);
  EXPECT_EQ(c.content_sha256, sha256_file(kWsj));
  const Sentence& s = c.sentences[1];
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.origin, kWsj + ":9");
  EXPECT_TRUE(s.pretokenized);
  EXPECT_TRUE(s.text.empty());
  EXPECT_EQ(s.words, std::vector<std::string>({"Lena", "wanted", "to", "paint", "the", "boat", "-LRB-", "blue",
                                               "ones", "-RRB-", "."}));
  ASSERT_EQ(s.annotations.size(), s.words.size());
  EXPECT_EQ(s.annotations[3].xpos, "VB");
  EXPECT_EQ(s.annotations[3].upos, "VB");
  EXPECT_EQ(s.annotations[3].head, 2);
  EXPECT_EQ(s.annotations[3].deprel, "xcomp");
  EXPECT_EQ(s.annotations[1].head, 0);
  EXPECT_EQ(s.annotations[1].deprel, "root");
  EXPECT_TRUE(s.annotations[1].lemma.empty());
  // max_sentences
  EXPECT_EQ(read_corpus(kWsj, CorpusFormat::Ptb, 2).sentences.size(), 2u);
}

TEST_F(PtbCorpusTest, DirectoryAndGlobReadSortedMrgFiles) {
  const std::string a = kTreeDir + "/00/harbor_0001.mrg", b = kTreeDir + "/01/harbor_0101.mrg";
  EXPECT_EQ(ptb_input_files(kTreeDir), std::vector<std::string>({a, b}));  // notes.txt is no .mrg
  EXPECT_EQ(ptb_input_files(kTreeDir + "/0[01]/*.mrg"), std::vector<std::string>({a, b}));
  EXPECT_EQ(ptb_input_files(kTreeDir + "/0?"), std::vector<std::string>({a, b}));  // directories expand
  EXPECT_EQ(ptb_input_files(kTreeDir + "/*/harbor_01*"), std::vector<std::string>({b}));

  const Corpus dir = read_corpus(kTreeDir, CorpusFormat::Ptb);
  ASSERT_EQ(dir.sentences.size(), 3u);
  EXPECT_EQ(dir.sentences[0].origin, a + ":1");
  EXPECT_EQ(dir.sentences[1].origin, a + ":2");
  EXPECT_EQ(dir.sentences[2].origin, b + ":1");
  EXPECT_EQ(dir.sentences[2].index, 2);
  EXPECT_EQ(dir.sentences[2].words, std::vector<std::string>({"It", "rained", "."}));
  // Several files: sha256 of "NAME\nSIZE\n" + bytes per file, names relative to tree_dir.
  const std::string ba = slurp(a), bb = slurp(b);
  const std::string joined = cat("00/harbor_0001.mrg\n", ba.size(), "\n", ba, "01/harbor_0101.mrg\n", bb.size(), "\n", bb);
  EXPECT_EQ(dir.content_sha256, sha256_hex(joined.data(), joined.size()));
  const Corpus pattern = read_corpus(kTreeDir + "/0[01]/*.mrg", CorpusFormat::Ptb);
  EXPECT_EQ(pattern.content_sha256, dir.content_sha256);
  EXPECT_EQ(pattern.path, kTreeDir + "/0[01]/*.mrg");
  // A pattern matching one file hashes that file's bytes.
  EXPECT_EQ(read_corpus(kTreeDir + "/*/harbor_01*", CorpusFormat::Ptb).content_sha256, sha256_file(b));
  // Moving the files keeps the hash.
  write("copy/00/harbor_0001.mrg", ba);
  write("copy/01/harbor_0101.mrg", bb);
  EXPECT_EQ(read_corpus((dir_ / "copy").string(), CorpusFormat::Ptb).content_sha256, dir.content_sha256);
}

TEST_F(PtbCorpusTest, Errors) {
  const std::string missing = (dir_ / "missing.mrg").string();
  EXPECT_EQ(input_error([&] { read_corpus(missing, CorpusFormat::Ptb); }), missing + ": no such file");
  const std::string nothing = (dir_ / "*.mrg").string();
  EXPECT_EQ(input_error([&] { read_corpus(nothing, CorpusFormat::Ptb); }), nothing + ": no file matches this pattern");
  write("empty_dir/readme.txt", "no trees\n");
  const std::string empty_dir = (dir_ / "empty_dir").string();
  EXPECT_EQ(input_error([&] { read_corpus(empty_dir, CorpusFormat::Ptb); }),
            empty_dir + ": no .mrg files in this directory or below it");
  const std::string bad = write("bad/b.mrg", "( (S (NP (NN a)) (VP (VBD b))) )\n( (S (NN c) )\n");
  EXPECT_EQ(input_error([&] { read_corpus(bad, CorpusFormat::Ptb); }),
            bad + ":2: unbalanced brackets: '(' opened here is never closed");
  const std::string blank = write("blank.mrg", "\n  \n");
  EXPECT_EQ(input_error([&] { read_corpus(blank, CorpusFormat::Ptb); }), blank + ": empty corpus (no sentences)");
  const std::string no_words = write("nowords.mrg", "( (S (-NONE- *)) )\n");
  EXPECT_EQ(input_error([&] { read_corpus(no_words, CorpusFormat::Ptb); }), no_words + ":1: tree has no words");
}

}  // namespace
}  // namespace bertology
