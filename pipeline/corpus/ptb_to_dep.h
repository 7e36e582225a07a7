// Constituency-to-dependency conversion of Penn Treebank trees (see ptb.h for the trees).
//
// Two styles:
//
//  - DepStyle::Stanford: basic Stanford Dependencies (de Marneffe et al. 2006; the SD manual),
//    the annotation Clark et al. (2019) and Hewitt & Manning (2019) evaluate against. Heads follow
//    the "semantic" variant of the Collins (1999) head rules that the Stanford converter uses
//    (ptb_heads.cpp): auxiliaries (will, have, do, to, be + participle) do not head their VP; a
//    copula (be, seem, become, remain, ...) does not head its clause when the predicate is an NP
//    or ADJP (it becomes `cop`; with a PP or nothing it stays the head); the main verb heads S,
//    SQ and SINV; the clause heads SBAR (its complementizer is `mark`); the noun heads a
//    possessive NP (the clitic is `possessive`); prepositions head PPs (`prep` + `pobj`); the
//    first conjunct heads a coordination. Labels: root, nsubj, nsubjpass, csubj, csubjpass, dobj,
//    iobj, expl, ccomp, xcomp, acomp, advcl, aux, auxpass, cop, neg, mark, det, predet, preconj,
//    amod, nn, num, number, quantmod, poss, possessive, prep, pobj, pcomp, prt, advmod, npadvmod,
//    tmod, rcmod, partmod / infmod (both vmod with `DepOptions::vmod`), appos, cc, conj, mwe,
//    parataxis, discourse, punct (the tags of is_punctuation_tag()), and dep when nothing applies.
//  - DepStyle::Malt: Penn2Malt-style heads (Yamada & Matsumoto / Collins head rules, no
//    restructuring: auxiliaries head their VP, the last noun heads an NP, so the last conjunct
//    heads a coordinated NP). The label is the category of the phrase in which the word's
//    maximal projection attaches ("NP", "VP", "S", ...; "ROOT" for the root).
//
// Agreement with the reference conversions (tests/unit/test_ptb_shared.cpp): Stanford style vs the
// Stanford tool's basic SD of the Natural Stories trees, 98.7% unlabeled and 97.2% labeled (10363
// words, punctuation excluded); Malt style vs the Penn2Malt heads of the NLTK WSJ sample, 99.98%.
//
// Where the Stanford style differs from the Stanford tool (CoreNLP EnglishGrammaticalStructure,
// basic dependencies). The rules are written from the published descriptions and what the tool
// was seen to output, not ported from its tregex patterns, so:
//  - each relation is decided from the local configuration (the phrase, its head child, the
//    dependent and its siblings) plus facts found below (does the verb have an auxpass?), not by
//    patterns over the whole tree; about 1.3% of heads and 2.8% of labels still differ on
//    Natural Stories, mostly `dep` (the tool's fallback, 244 words there) against a specific
//    relation or the reverse, and ccomp / xcomp / advcl / parataxis choices for clauses;
//  - CoreNLP's tree transformations are approximated, not reproduced: unary X-over-X nodes are
//    removed; flat coordinated premodifiers ("head or shoulder jerking") and "A and B and C" are
//    bracketed as it does; its other rebracketings (QPTreeTransformer on "about $ 5 million",
//    moving adverbs into the following phrase, UCP relabeling) are not done;
//  - the tool's quirks that are reproduced because users compare against its output: "no" is
//    neg like not / n't / never; a relative "that" with an object gap ("the book that I read")
//    is `mark` and its clause `dep`; -TMP is the only function tag read (NP-ADV is not npadvmod;
//    npadvmod comes from measure NPs such as "ten miles long"), and NPs headed by time words
//    (day, week, Monday, ...) are tmod, so "spent three days" gets tmod too;
//  - labels of the SD manual that basic CoreNLP output no longer has are not produced: attr,
//    rel, purpcl (advcl), complm (mark); agent is a collapsed-dependency relation;
//  - partmod / infmod are the default, as in the SD manual's original relation set; CoreNLP >= 3.3
//    merges them into vmod, which `DepOptions::vmod` reproduces.
#pragma once

#include <string>
#include <vector>

#include "pipeline/corpus/ptb.h"

namespace bertology {

enum class DepStyle { Stanford, Malt };

/// Parses "sd" / "stanford" and "malt" (CLI --style); InputError otherwise.
DepStyle parse_dep_style(const std::string& name);
const char* dep_style_name(DepStyle style);

struct DepOptions {
  DepStyle style = DepStyle::Stanford;
  /// Label reduced non-finite modifiers `vmod`, as CoreNLP >= 3.3 does, instead of the SD
  /// manual's `partmod` (participial: "the man sitting there") and `infmod` ("a way to go").
  bool vmod = false;
};

/// One word of a converted sentence.
struct DepToken {
  std::string word;    ///< as in the tree
  std::string tag;     ///< POS tag
  int head = 0;        ///< 1-based index of the head word, 0 for the root
  std::string deprel;  ///< relation to the head (see the file comment)
};

/// Converts one tree (empty elements already removed, as parse_ptb does by default; any left are
/// removed here). Exactly one word gets head 0.
/// @throws InputError "ORIGIN: ..." when the tree has no words (`origin` only names it).
std::vector<DepToken> ptb_to_dependencies(const PtbNode& root, const DepOptions& options = {},
                                          const std::string& origin = "tree");

/// True for the POS tags Stanford Dependencies treat as punctuation (label `punct`, excluded
/// from attachment scores): `` '' , . : -LRB- -RRB- (and -LCB- -RCB- -LSB- -RSB- HYPH NFP).
bool is_punctuation_tag(const std::string& tag);

}  // namespace bertology
