// Stanford Dependencies labels for the PTB conversion.
//
// The head finder (ptb_heads.cpp) has fixed the tree's heads; every non-head child D of a phrase
// P then attaches its head word to P's head word (a few cases pick another governor: the last
// number of "4.7 million", the first conjunct of coordinated premodifiers). The relation is
// decided from P's category, D's category, head word and position relative to P's head child,
// and D's siblings: one function per kind of phrase. Facts from below are read from the
// attachments already made (the converter works bottom-up): "the clause's verb has an auxpass"
// gives nsubjpass.
//
// The cases follow the SD manual; where the manual leaves a choice, they follow what the
// Stanford converter (CoreNLP 3.x, the version behind the Natural Stories SD parses) was seen
// to output, and the comments say so ("as observed").
#include <initializer_list>
#include <string>
#include <vector>

#include "pipeline/corpus/ptb_internal.h"

namespace bertology {
namespace ptb_internal {

namespace {

bool in(const std::string& w, std::initializer_list<const char*> list) {
  for (const char* x : list)
    if (w == x) return true;
  return false;
}

bool is_noun_tag(const std::string& t) { return in(t, {"NN", "NNS", "NNP", "NNPS"}); }
bool is_adverb_tag(const std::string& t) { return in(t, {"RB", "RBR", "RBS", "WRB"}); }
bool is_adjective_tag(const std::string& t) { return in(t, {"JJ", "JJR", "JJS"}); }
bool is_clause(const std::string& c) { return in(c, {"S", "SINV", "SQ", "SBARQ", "SBAR"}); }

/// CoreNLP's time words: an NP headed by one of them is a temporal modifier in VP and S.
bool is_time_word(const std::string& w) {
  static const char* const kWords[] = {
      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
      "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays",
      "year", "years", "month", "months", "week", "weeks", "day", "days", "morning", "mornings",
      "evening", "evenings", "night", "nights", "january", "jan.", "february", "feb.", "march",
      "mar.", "april", "apr.", "may", "june", "july", "august", "aug.", "september", "sept.",
      "sep.", "october", "oct.", "november", "nov.", "december", "dec.", "today", "yesterday",
      "tomorrow", "spring", "summer", "fall", "autumn", "winter"};
  for (const char* x : kWords)
    if (w == x) return true;
  return false;
}

class SdLabeler {
 public:
  SdLabeler(const IndexedTree& tree, const std::vector<DepToken>& so_far, const DepOptions& options)
      : t_(tree), so_far_(so_far), options_(options) {}

  Attachment attach(int p, int pos) {
    Attachment a;
    a.governor = t_.at(p).head;
    a.label = classify(p, pos, &a.governor);
    return a;
  }

 private:
  // ---- tree access --------------------------------------------------------------------------
  const Node& node(int id) const { return t_.at(id); }
  const std::string& cat(int id) const { return node(id).cat; }
  bool leaf(int id) const { return node(id).leaf(); }
  bool punct(int id) const { return leaf(id) && is_punctuation_tag(cat(id)); }
  int kid(int p, int pos) const { return node(p).kids[static_cast<size_t>(pos)]; }
  int nkids(int p) const { return static_cast<int>(node(p).kids.size()); }
  int head_pos(int p) const { return node(p).head_pos; }
  const std::string& htag(int id) const { return t_.head_tag(id); }
  const std::string& hword(int id) const { return t_.head_word(id); }
  /// Category of child `pos` of `p`, "" outside the children.
  std::string cat_at(int p, int pos) const { return pos >= 0 && pos < nkids(p) ? cat(kid(p, pos)) : ""; }

  bool has_kid(int p, std::initializer_list<const char*> cats, int from = 0, int to = -1) const {
    if (to < 0) to = nkids(p);
    for (int i = from; i < to; ++i)
      if (in(cat(kid(p, i)), cats)) return true;
    return false;
  }

  /// Whether word `token` already has a dependent labeled `label`.
  bool has_dependent(int token, const char* label) const {
    for (const DepToken& d : so_far_)
      if (d.head == token + 1 && d.deprel == label) return true;
    return false;
  }

  bool passive(int id) const { return has_dependent(node(id).head, "auxpass"); }

  // ---- shared predicates ----------------------------------------------------------------------

  /// not, n't, never, no: as a word (adverb or determiner) or a one-word ADVP.
  bool negation(int d) const {
    if (!in(hword(d), {"not", "n't", "never", "no"})) return false;
    return leaf(d) ? (is_adverb_tag(cat(d)) || cat(d) == "DT") : (cat(d) == "ADVP" && nkids(d) == 1);
  }

  bool time_np(int d) const { return is_noun_tag(htag(d)) && is_time_word(hword(d)); }

  /// A VP that directly holds a past participle (or coordinates such VPs): "(was) eaten".
  bool passive_vp(int vp) const {
    for (int i = 0; i < nkids(vp); ++i) {
      const int k = kid(vp, i);
      if (leaf(k) && (cat(k) == "VBN" || cat(k) == "VBD")) return true;
    }
    if (has_kid(vp, {"CC", "CONJP"}))
      for (int i = 0; i < nkids(vp); ++i)
        if (in(cat(kid(vp, i)), {"VP", "ADJP"}) && passive_vp(kid(vp, i))) return true;
    return false;
  }

  /// A clause with an overt subject: an NP child before the head (SQ / SINV: anywhere).
  bool has_subject(int s) const {
    if (!is_clause(cat(s))) return false;
    const bool inverted = cat(s) == "SQ" || cat(s) == "SINV";
    const int h = head_pos(s);
    for (int i = 0; i < nkids(s); ++i) {
      if (i == h) continue;
      if (!inverted && i > h) break;
      const int k = kid(s, i);
      if ((cat(k) == "NP" || cat(k) == "WHNP") && !node(k).tmp) return true;
    }
    return false;
  }

  /// A to-infinitive: the head chain S -> VP reaches a VP with a TO child.
  bool to_infinitive(int s) const {
    int id = s;
    for (int guard = 0; guard < 8 && !leaf(id); ++guard) {
      if (cat(id) == "VP") {
        for (int i = 0; i < nkids(id); ++i)
          if (cat(kid(id, i)) == "TO") return true;
        return false;
      }
      if (cat(id) != "S") return false;
      id = t_.head_kid(id);
    }
    return false;
  }

  /// Tag of the first verb child of a VP or of the VP heading an S: VBG in "(S (VP running))",
  /// TO in "(S (VP (TO to) (VP go)))"; "" when there is none (coordinated VPs).
  std::string first_verb_tag(int id) const {
    for (int guard = 0; guard < 16 && !leaf(id); ++guard) {
      if (cat(id) == "VP") {
        for (int i = 0; i < nkids(id); ++i)
          if (leaf(kid(id, i)) && is_verb_tag(cat(kid(id, i)))) return cat(kid(id, i));
        return "";
      }
      if (cat(id) != "S") return "";
      id = t_.head_kid(id);
    }
    return "";
  }

  /// Lower-cased subordinator of an SBAR: its first IN / DT / RB child before the clause
  /// ("that", "because", "so"), or "".
  std::string complementizer(int sbar) const {
    for (int i = 0; i < head_pos(sbar); ++i) {
      const int k = kid(sbar, i);
      if (leaf(k) && in(cat(k), {"IN", "DT", "RB"})) return node(k).lower;
    }
    return "";
  }

  /// Category of the wh-phrase leading an SBAR ("WHADVP"), or "".
  std::string leading_wh(int sbar) const {
    for (int i = 0; i < head_pos(sbar); ++i) {
      const std::string& c = cat(kid(sbar, i));
      if (c.compare(0, 2, "WH") == 0) return c;
    }
    return "";
  }

  /// A relative "that" that CoreNLP's patterns take for a complementizer (`mark`; the clause is
  /// then neither rcmod nor, mostly, ccomp). That happens when the clause has its own subject
  /// ("the book that I read"), or when the SBAR is not inside an NP ("it was she that called");
  /// "the man that called" stays nsubj + rcmod.
  bool that_marker(int sbar) const {
    if (cat(sbar) != "SBAR" || head_pos(sbar) < 1) return false;
    const int wh = kid(sbar, head_pos(sbar) - 1);
    if (cat(wh) != "WHNP" || nkids(wh) != 1 || !leaf(kid(wh, 0)) || node(kid(wh, 0)).lower != "that") return false;
    const int parent = node(sbar).parent;
    return has_subject(t_.head_kid(sbar)) || parent < 0 || cat(parent) != "NP";
  }

  /// An SBAR that is not a clausal subject, under any phrase. CoreNLP's patterns, as observed:
  /// in VP, "that" / "whether", wh-clauses (but "when", "where", "why" ones) and bare clauses are
  /// complements, other subordinators adverbial; in NP, wh- and bare clauses are relative, a
  /// subordinator ("the fact that ...") leaves `dep`; in S, an adverbial clause must open the
  /// sentence (after CC, comma, PP) or be followed by ", NP", else it is `dep`.
  std::string sbar_relation(int p, int pos) const {
    const int d = kid(p, pos);
    const std::string& pc = cat(p);
    const std::string c = complementizer(d);
    const std::string wh = leading_wh(d);
    if (that_marker(d)) {
      if (pc == "VP" || (pc == "NP" && leaf(t_.head_kid(p)))) return "ccomp";
      return "dep";
    }
    if (in(pc, {"NP", "NML", "NX", "WHNP"})) return c.empty() ? "rcmod" : "dep";
    if (in(pc, {"PP", "WHPP"})) return "pcomp";
    if (pc == "VP") {
      if (c == "that" || c == "whether") return "ccomp";
      if (!c.empty()) return "advcl";
      if (wh == "WHADVP" && hword(kid(d, 0)) != "how") return "advcl";
      if (wh.empty()) {
        // A bare clause after an object is a stray relative clause ("approached a hovel she
        // had used"), and one of coordinated clauses matches no complement pattern: dep.
        if (has_kid(p, {"NP"}, 0, pos)) return "dep";
        const int clause = t_.head_kid(d);
        if (!leaf(clause) && has_kid(clause, {"CC", "CONJP"})) return "dep";
      }
      return "ccomp";
    }
    if (in(pc, {"ADJP", "WHADJP", "JJP"})) return c.empty() || c == "that" || c == "whether" ? "ccomp" : "dep";
    if (in(pc, {"ADVP", "WHADVP"})) return in(c, {"as", "that", "than"}) ? "ccomp" : "dep";
    if (pc == "SINV") return "advcl";
    if (in(pc, {"S", "SQ"})) {
      bool opens = true;
      for (int i = 0; i < pos; ++i) opens = opens && in(cat(kid(p, i)), {"CC", "CONJP", "``", ",", "INTJ", "PP"});
      const bool comma_np = cat_at(p, pos + 1) == "," && has_kid(p, {"NP"}, pos + 2);
      if (opens || comma_np || wh == "WHADVP") return "advcl";
      return "dep";
    }
    return "advcl";
  }

  // ---- coordination -------------------------------------------------------------------------

  static bool conjunction(const std::string& c) { return c == "CC" || c == "CONJP"; }

  /// Broad classes for "A, B and C" lists: conjuncts after a comma must be like the head.
  static int coarse(const std::string& c) {
    if (in(c, {"NP", "NN", "NNS", "NNP", "NNPS", "NML", "NX", "PRP"})) return 1;
    if (in(c, {"ADJP", "JJ", "JJR", "JJS", "VBN"})) return 2;
    if (in(c, {"VP", "VB", "VBD", "VBZ", "VBP", "VBG"})) return 3;
    if (in(c, {"S", "SINV", "SQ", "SBAR", "SBARQ"})) return 4;
    if (in(c, {"ADVP", "RB", "RBR"})) return 5;
    if (in(c, {"PP", "IN"})) return 6;
    return 100 + static_cast<int>(c.size());
  }

  bool adverbial(int id) const { return cat(id) == "ADVP" || (leaf(id) && is_adverb_tag(cat(id))); }

  /// Child `pos` after the head is a conjunct: right after CC / CONJP, or in a list "A, B, and C"
  /// (after a comma or semicolon, like the head, with a conjunction later on).
  bool conjunct(int p, int pos) const {
    const int h = head_pos(p);
    if (pos <= h) return false;
    int prev = pos - 1;
    while (prev > h && (punct(kid(p, prev)) || adverbial(kid(p, prev)))) --prev;
    if (prev > h && conjunction(cat(kid(p, prev)))) return !adverbial(kid(p, pos)) || pos + 1 >= nkids(p);
    const std::string& pc = cat(kid(p, pos - 1));
    if (pos - 1 > h && (pc == "," || pc == ":")) {
      bool later = false;
      for (int i = pos + 1; i < nkids(p); ++i) later = later || conjunction(cat(kid(p, i)));
      return later && coarse(cat(kid(p, pos))) == coarse(cat(kid(p, h)));
    }
    return false;
  }

  /// Coordinated premodifiers in a flat NP, "(NP (NN head) (CC or) (NN shoulder) (NN jerking))":
  /// CoreNLP first brackets "head or shoulder", whose first word then governs the conjunction and
  /// the other conjuncts. Returns that first conjunct's position when child `pos` is one of
  /// those later words, else -1.
  int premodifier_coordination(int p, int pos) const {
    if (!in(cat(p), {"NP", "NML", "NX", "WHNP"})) return -1;
    const int h = head_pos(p);
    if (pos >= h) return -1;
    auto word = [&](int i) { return leaf(kid(p, i)) && !punct(kid(p, i)); };
    for (int c = 1; c + 1 < h; ++c) {
      if (cat(kid(p, c)) != "CC" || !word(c - 1) || !word(c + 1)) continue;
      int first = c - 1;
      while (first >= 2 && cat(kid(p, first - 1)) == "," && word(first - 2) &&
             cat(kid(p, first - 2)).compare(0, 2, cat(kid(p, first)), 0, 2) == 0)
        first -= 2;
      if (pos > first && pos <= c + 1) return first;
    }
    return -1;
  }

  // ---- dispatch -----------------------------------------------------------------------------

  std::string classify(int p, int pos, int* governor) {
    const int d = kid(p, pos);
    const std::string& pc = cat(p);
    const std::string& dc = cat(d);
    const int first = premodifier_coordination(p, pos);
    if (first >= 0) {
      *governor = node(kid(p, first)).token;
      return punct(d) ? "punct" : dc == "CC" ? "cc" : "conj";
    }
    if (punct(d)) return "punct";
    if (dc == "CC") {
      if (pos < head_pos(p) && in(node(d).lower, {"either", "neither", "both"})) return "preconj";
      return "cc";
    }
    if (dc == "CONJP") return "cc";
    if (conjunct(p, pos)) return "conj";
    // "said it and then left": an adverb between the conjunction and a conjunct modifies that
    // conjunct (CoreNLP moves it inside).
    if (adverbial(d) && pos > head_pos(p) && pos + 1 < nkids(p) && conjunct(p, pos + 1)) {
      int prev = pos - 1;
      while (prev > head_pos(p) && punct(kid(p, prev))) --prev;
      if (conjunction(cat(kid(p, prev)))) {
        *governor = node(kid(p, pos + 1)).head;
        return negation(d) ? "neg" : "advmod";
      }
    }
    if (negation(d)) return "neg";
    if (dc == "UH" || dc == "INTJ") return "discourse";
    if (dc == "SBAR" && that_marker(d)) return sbar_relation(p, pos);
    if (in(pc, {"S", "SINV", "SQ"})) return clause(p, pos);
    if (pc == "VP") return vp(p, pos);
    if (in(pc, {"NP", "NML", "NX", "NAC", "WHNP"})) return np(p, pos, governor);
    if (in(pc, {"PP", "WHPP"})) return pp(p, pos);
    if (in(pc, {"ADJP", "WHADJP", "JJP"})) return adjp(p, pos, governor);
    if (in(pc, {"ADVP", "WHADVP"})) return advp(p, pos);
    if (pc == "SBAR") return sbar(p, pos);
    if (pc == "SBARQ") return sbarq(p, pos);
    if (pc == "QP") return qp(p, pos, governor);
    if (pc == "CONJP") return leaf(d) && is_adverb_tag(dc) ? "advmod" : "mwe";  // "as well as"
    return generic(p, pos);
  }

  /// Modifiers that mean the same under any phrase.
  std::string generic(int p, int pos) const {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (negation(d)) return "neg";
    if (in(dc, {"ADVP", "WHADVP"}) || (leaf(d) && is_adverb_tag(dc))) return "advmod";
    if (in(dc, {"PP", "WHPP"})) return "prep";
    if (dc == "PRN") return parenthetical(d, false);
    if (leaf(d) && in(dc, {"DT", "WDT"})) return "det";
    return "dep";
  }

  /// A parenthetical: a clause inside is parataxis, an NP in a noun phrase an apposition.
  std::string parenthetical(int d, bool in_np) const {
    const std::string& hc = cat(t_.head_kid(d));
    if (in(hc, {"S", "SINV", "SQ", "SBARQ", "VP"})) return "parataxis";
    if (in_np && in(hc, {"NP", "NML"})) return "appos";
    if (hc == "PP") return "prep";
    if (hc == "ADVP") return "advmod";
    if (hc == "SBAR") return "advcl";
    return "dep";
  }

  /// An auxiliary or copula (a verb before the head of VP / SQ / SINV).
  std::string verbal(int p, int pos) const {
    const int d = kid(p, pos);
    const int h = t_.head_kid(p);
    const std::string& w = node(d).lower;
    const std::string& tag = cat(d);
    if (pos > head_pos(p)) return "dep";
    if (cat(h) == "VP") {
      if ((is_be_word(w) || is_get_word(w)) && passive_vp(h)) return "auxpass";
      if (tag == "MD" || tag == "TO" || is_aux_word(w) || is_be_word(w)) return "aux";
      return "dep";
    }
    if (!leaf(h) && is_copula_word(w)) return "cop";
    if (tag == "MD" || tag == "TO" || (is_aux_word(w) && !is_get_word(w))) return "aux";
    return "dep";
  }

  std::string subject(int clause_head_node) const {
    return passive(clause_head_node) ? "nsubjpass" : "nsubj";
  }

  // ---- S, SINV, SQ ----------------------------------------------------------------------------

  std::string clause(int p, int pos) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    const int h = head_pos(p);
    if (leaf(d) && is_verb_tag(dc)) return verbal(p, pos);
    if (dc == "NP" || dc == "WHNP") {
      if (node(d).tmp) return "tmod";
      if (htag(d) == "EX") return "expl";
      if (time_np(d) && has_kid(p, {"NP"}, pos + 1, h)) return "tmod";
      if (cat(p) == "S" && pos > h) return "dep";
      // Inversion after quoted speech ("`` ... , '' said the captain") has the subject after
      // the verb; without the quote, CoreNLP takes an NP after the VP for its object.
      if (cat(p) == "SINV" && pos > h && !has_kid(p, {"S", "SINV", "SQ", "SBARQ", "``"}, 0, h)) return "dobj";
      return subject(p);
    }
    if (in(dc, {"S", "SBAR", "SBARQ", "SINV", "SQ"})) {
      const bool clausal_subject = pos < h && !has_kid(p, {"NP"}, pos + 1, h) && cat_at(p, pos + 1) != ",";
      if (clausal_subject) return passive(p) ? "csubjpass" : "csubj";
      if (dc == "SBAR") return sbar_relation(p, pos);
      if (dc == "S") return clause_in_clause(p, pos);
      return "dep";
    }
    if (dc == "ADJP") return "dep";
    return generic(p, pos);
  }

  /// A non-subject S under S. Before the main clause and followed by a comma or quote: quoted
  /// speech ("`` Go , '' he said": ccomp), a participle (vmod) or a purpose clause (advcl);
  /// after it: parataxis after ":" or a connective ("..., so he left"), else dep ("..., taking it").
  std::string clause_in_clause(int p, int pos) const {
    const int d = kid(p, pos);
    const std::string next = cat_at(p, pos + 1);
    const std::string prev = cat_at(p, pos - 1);
    const std::string fv = first_verb_tag(d);
    if (pos < head_pos(p)) {
      if (next != "," && next != "''" && next != ".") return "dep";
      if (fv == "TO") return "advcl";
      if (fv == "VBG" || fv == "VBN") return reduced(fv);
      return "ccomp";
    }
    if (has_subject(d) && in(prev, {":", "IN", "RB"})) return "parataxis";
    return "dep";
  }

  /// partmod / infmod, or vmod for both.
  std::string reduced(const std::string& first_verb) const {
    if (options_.vmod) return "vmod";
    return first_verb == "TO" ? "infmod" : "partmod";
  }

  // ---- VP -----------------------------------------------------------------------------------

  /// "there is a ghost": the NP after be in an existential is its subject.
  bool existential_vp(int vp) const {
    int id = vp;
    while (node(id).parent >= 0 && cat(node(id).parent) == "VP") id = node(id).parent;
    const int s = node(id).parent;
    if (s < 0) return false;
    for (int i = 0; i < nkids(s); ++i) {
      const int k = kid(s, i);
      if (k == id) break;
      if (cat(k) == "NP" && htag(k) == "EX") return true;
    }
    return false;
  }

  std::string vp(int p, int pos) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (leaf(d) && is_verb_tag(dc)) return verbal(p, pos);
    if (dc == "NP") {
      if (node(d).tmp) return "tmod";
      if (existential_vp(p) && is_be_word(hword(p))) return "nsubj";
      const bool comma_np = cat_at(p, pos + 1) == "," && has_kid(p, {"NP"}, pos + 2);
      if (time_np(d) && !comma_np) return "tmod";
      if (cat_at(p, pos + 1) == "NP" && !time_np(kid(p, pos + 1))) return "iobj";
      return "dobj";
    }
    if (dc == "PRT" || (leaf(d) && dc == "RP")) return "prt";
    if (dc == "ADJP" || (leaf(d) && is_adjective_tag(dc))) return "acomp";
    if (dc == "S") return clausal_complement(p, pos);
    if (dc == "SBAR") return sbar_relation(p, pos);
    if (in(dc, {"SQ", "SBARQ", "SINV"})) return "ccomp";
    return generic(p, pos);
  }

  /// S under VP (or ADJP). CoreNLP's patterns, as observed: subjectless to-infinitives and
  /// gerunds are xcomp ("tried to go", "kept running"), vmod when an object precedes them
  /// ("used tools to dig"); a subjectless participle is dep, a subjectless finite or bare
  /// verb (a trace was removed: "who they knew looked poor") ccomp. With a subject: ccomp for
  /// finite and bare verbs ("let it slip"), xcomp for to-infinitives and small clauses
  /// ("made him angry"), dep for gerunds ("saw it coming").
  std::string clausal_complement(int p, int pos) const {
    const int s = kid(p, pos);
    const std::string fv = first_verb_tag(s);
    const bool verbal = cat(t_.head_kid(s)) == "VP";
    if (!has_subject(s)) {
      if (fv == "TO" || fv == "VBG") {
        if (has_kid(p, {"NP"}, 0, pos)) return reduced(fv);
        // No verb to control it: the S follows coordinated VPs ("opened it and cut it, taking ...").
        bool verb_before = false;
        for (int i = 0; i < pos; ++i) verb_before = verb_before || (leaf(kid(p, i)) && is_verb_tag(cat(kid(p, i))));
        return verb_before || cat(p) != "VP" ? "xcomp" : "dep";
      }
      if (fv == "VBN") return "dep";
      return verbal ? "ccomp" : "dep";
    }
    if (fv == "TO" || !verbal) return "xcomp";
    if (fv == "VBG") return "dep";
    return "ccomp";
  }

  // ---- NP, WHNP, NML, NX ------------------------------------------------------------------------

  /// A run of numbers "4.7 million", "nineteen forty-seven": sets `governor` to the last one and
  /// returns true when child `pos` is not that last one.
  bool number_run(int p, int pos, int* governor) const {
    int last = pos;
    while (last + 1 < nkids(p) && leaf(kid(p, last + 1)) && cat(kid(p, last + 1)) == "CD") ++last;
    if (last == pos) return false;
    *governor = node(kid(p, last)).token;
    return true;
  }

  std::string np(int p, int pos, int* governor) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    const int h = head_pos(p);
    const bool before = pos < h;
    if (leaf(d)) {
      if (dc == "POS") return "possessive";
      if (in(dc, {"DT", "WDT", "WP"})) {
        if (in(node(d).lower, {"both", "either", "neither"}) && has_kid(p, {"CC", "CONJP"}, pos + 1)) {
          return "preconj";
        }
        return "det";
      }
      if (dc == "PDT") return "predet";
      if (dc == "PRP$" || dc == "WP$") return "poss";
      if (dc == "CD") {
        // "$ 4.7 million": number of the last number (CoreNLP makes them a QP); a bare run,
        // "nineteen forty-seven", is num of its last number.
        if (number_run(p, pos, governor)) return in(htag(p), {"$", "#"}) ? "number" : "num";
        return "num";
      }
      if (is_adjective_tag(dc) || dc == "VBN" || dc == "VBG") return "amod";
      if (is_noun_tag(dc) || dc == "FW") return "nn";
      return generic(p, pos);
    }
    if (in(dc, {"NP", "NML", "NX", "NAC"})) {
      if (node(d).tmp) return "tmod";
      if (before) {
        if (nkids(d) > 0 && cat(kid(d, nkids(d) - 1)) == "POS") return "poss";
        return "nn";
      }
      if (!has_kid(p, {"CC", "CONJP"})) {
        const std::string prev = cat_at(p, pos - 1);
        if (prev == "," || prev == ":" || prev == "-LRB-") return "appos";
      }
      if (time_np(d)) return "tmod";
      return "dep";
    }
    if (in(dc, {"ADJP", "WHADJP", "JJP"})) return "amod";
    if (dc == "QP") return "num";
    if (dc == "SBAR") return sbar_relation(p, pos);
    if (dc == "RRC") return "rcmod";
    if (dc == "VP") return reduced(first_verb_tag(d));
    if (dc == "S") {
      if (to_infinitive(d)) return reduced("TO");
      if (!has_subject(d) && in(first_verb_tag(d), {"VBG", "VBN"})) return reduced("VBG");
      return "dep";
    }
    if (dc == "PRN") return parenthetical(d, true);
    return generic(p, pos);
  }

  // ---- PP -----------------------------------------------------------------------------------

  std::string pp(int p, int pos) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (pos > head_pos(p)) {
      if (in(dc, {"NP", "WHNP", "QP"})) return "pobj";
      if (in(dc, {"S", "SBAR", "SQ", "SBARQ", "SINV", "VP", "PP", "ADVP"})) return "pcomp";  // "from below"
      if (leaf(d) && !is_adverb_tag(dc)) return "dep";  // a bare noun "of course": no NP, no pobj
      if (dc == "ADJP") return "pobj";  // "at least", "in particular"
      return generic(p, pos);
    }
    if (dc == "NP") return "npadvmod";
    if (leaf(d) && in(dc, {"IN", "JJ", "TO"})) return "mwe";
    return generic(p, pos);
  }

  // ---- ADJP, ADVP -----------------------------------------------------------------------------

  std::string adjp(int p, int pos, int* governor) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (dc == "NP" || (leaf(d) && is_noun_tag(dc))) {
      if (node(d).tmp) return "tmod";
      return pos < head_pos(p) ? "npadvmod" : "dep";
    }
    if (leaf(d) && dc == "CD") {
      if (number_run(p, pos, governor)) return "number";
      return "num";
    }
    if (dc == "S") return clausal_complement(p, pos);
    if (dc == "SBAR") return sbar_relation(p, pos);
    if (dc == "QP") return "num";
    if (dc == "ADJP" || (leaf(d) && is_adjective_tag(dc))) return "amod";
    return generic(p, pos);
  }

  std::string advp(int p, int pos) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (dc == "NP" || (leaf(d) && is_noun_tag(dc))) return node(d).tmp ? "tmod" : "npadvmod";
    if (dc == "SBAR") return sbar_relation(p, pos);
    return generic(p, pos);
  }

  // ---- SBAR, SBARQ ----------------------------------------------------------------------------

  /// nsubj(pass) of the clause when it has no subject of its own, else dobj.
  std::string wh_role(int p) const {
    const int c = t_.head_kid(p);
    if (leaf(c) || !in(cat(c), {"S", "SQ", "SINV"})) return "dep";
    if (has_subject(c)) return "dobj";
    return subject(c);
  }

  std::string sbar(int p, int pos) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (pos < head_pos(p)) {
      if (leaf(d) && in(dc, {"IN", "DT", "TO"})) return "mark";
      if (dc == "WHNP") return that_marker(p) ? "mark" : wh_role(p);
      if (dc == "WHADVP") return negation(d) ? "neg" : "advmod";
      if (dc == "WHPP") return "prep";
    }
    return generic(p, pos);
  }

  std::string sbarq(int p, int pos) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (dc == "WHNP") return wh_role(p);
    if (dc == "WHADVP") return "advmod";
    if (dc == "WHPP") return "prep";
    return generic(p, pos);
  }

  // ---- QP -----------------------------------------------------------------------------------

  std::string qp(int p, int pos, int* governor) {
    const int d = kid(p, pos);
    const std::string& dc = cat(d);
    if (leaf(d) && dc == "CD") {
      number_run(p, pos, governor);
      return "number";
    }
    if (leaf(d) && in(dc, {"JJR", "JJS", "RBR", "RBS"})) {
      // "more than", "at least": one expression, headed by the preposition.
      for (int other : {pos + 1, pos - 1}) {
        if (other >= 0 && other < nkids(p) && other != head_pos(p) && cat(kid(p, other)) == "IN") {
          *governor = node(kid(p, other)).token;
          return "mwe";
        }
      }
    }
    if (leaf(d) && in(dc, {"IN", "RB", "RBR", "RBS", "JJ", "JJR", "JJS", "DT", "TO", "PDT"})) return "quantmod";
    return generic(p, pos);
  }

  const IndexedTree& t_;
  const std::vector<DepToken>& so_far_;
  const DepOptions& options_;
};

}  // namespace

Attachment sd_attachment(const IndexedTree& tree, int parent, int pos, const std::vector<DepToken>& so_far,
                         const DepOptions& options) {
  return SdLabeler(tree, so_far, options).attach(parent, pos);
}

}  // namespace ptb_internal
}  // namespace bertology
