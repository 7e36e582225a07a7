// Constituency-to-dependency conversion of Penn Treebank trees (see ptb.h for the trees).
//
// Two styles:
//
//  - DepStyle::Stanford: basic Stanford Dependencies (de Marneffe et al. 2006; the SD manual),
//    what Clark et al. (2019) and Hewitt & Manning (2019) evaluate against. Heads follow the
//    "semantic" variant of the Collins (1999) head rules that the Stanford converter uses:
//    auxiliaries (will, have, do, to, be + participle) are not heads of their VP, the copula
//    "be" is not the head when the predicate is an NP or ADJP (it becomes `cop`), the main verb
//    heads S / SQ / SINV, the clause heads SBAR (the complementizer becomes `mark`), the noun
//    heads a possessive NP (the clitic becomes `possessive`), and in coordination the first
//    conjunct is the head (Collins' "X CC Y" rule). Labels: root, nsubj, nsubjpass, csubj,
//    csubjpass, dobj, iobj, expl, ccomp, xcomp, acomp, advcl, aux, auxpass, cop, neg, mark, det,
//    predet, preconj, amod, nn, num, number, quantmod, poss, possessive, prep, pobj, pcomp, prt,
//    advmod, npadvmod, tmod, rcmod, partmod / infmod (vmod with `DepOptions::vmod`), appos, cc,
//    conj, mwe, parataxis, discourse, punct, and dep when no rule applies.
//  - DepStyle::Malt: unlabeled Penn2Malt-style heads: Collins / Yamada & Matsumoto head rules
//    with no semantic restructuring (auxiliaries and prepositions head their phrases, the first
//    word of a coordination... see ptb_heads.cpp). The label is the category of the constituent
//    in which the word's maximal projection attaches ("NP", "VP", "S", ...; "ROOT" for the root).
//
// Where the Stanford style differs from the Stanford converter (CoreNLP EnglishGrammaticalStructure,
// basic dependencies). The rules here are written from the published descriptions and tuned on
// the Natural Stories gold parses (see tests/unit/test_ptb_shared.cpp for the agreement), not a
// port of CoreNLP's tregex patterns, so:
//  - each relation is decided from the local configuration (the phrase, its head child, the
//    dependent child and their siblings) plus facts already found below (does the head verb
//    have an auxpass?), not by matching patterns anywhere in the tree;
//  - CoreNLP's tree transformations (CoordinationTransformer flattening and UCP relabeling,
//    QPTreeTransformer's rebracketing of "about $ 5 million") are not reproduced; the only
//    rewrite is the removal of unary X-over-X nodes;
//  - function tags: like CoreNLP only -TMP and -ADV are read (NP-TMP -> tmod, NP-ADV -> npadvmod);
//    temporal NPs without the tag are recognized from a list of time words as CoreNLP does, which
//    gives the same false positives ("spent three days" -> tmod);
//  - no `attr`, `rel`, `purpcl`, `complm` (merged into mark as in CoreNLP >= 3.3) or `agent`
//    (a collapsed-dependency relation); wh-phrases get nsubj/dobj/advmod/prep from their clause;
//  - `dep` is used where no rule applies, which is not always where CoreNLP falls back to dep.
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
