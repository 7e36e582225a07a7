// Head rules for the PTB conversion: the tree in index form and two head-rule tables.
//
// A table maps a category to rules tried in order. Each rule names a direction and categories:
//  - Left / Right: for each category in list order, scan the children from the left / right;
//  - LeftDis / RightDis: scan the children once from the left / right and take the first child
//    whose category is any of the list.
// When no rule matches, the last rule's direction picks the first / last child that is not
// punctuation; a punctuation head moves to the nearest word.
//
// Stanford style: Collins' (1999) table as modified by Stanford's ModCollins and "semantic"
// head finders (nouns rather than the possessive clitic head NPs; the main verb heads S, SQ and
// SBAR; the last number heads a QP), Collins' coordination rule (a head right after CC / CONJP
// moves to the conjunct before it; here on to the first conjunct of a list "A, B and C"), and
// the special cases for VP / SQ / SINV:
//  - a VP with an auxiliary (MD, TO, or a verb form of have/do/will/get/...; be followed by a
//    participle VP) is headed by its VP (or ADJP) complement;
//  - a VP with a copula (be, seem, become, remain, ...) and an NP / ADJP / ... predicate is
//    headed by the predicate (the copula becomes a dependent), except in existentials ("there
//    is ...") and wh-questions.
// Malt style: the Penn2Malt table (Yamada & Matsumoto 2003, after Collins 1999), NPs searched
// from the right for a noun, then for a number, adjective, ... or NP (so the last conjunct of a
// coordinated NP and the last NP of an apposition head); no coordination rule, no special cases
// (auxiliaries, "to" excepted, head their VP; prepositions and complementizers their phrase).
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipeline/corpus/ptb_internal.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace ptb_internal {

namespace {

enum class Dir { Left, Right, LeftDis, RightDis };

struct Rule {
  Dir dir;
  std::vector<std::string> cats;
};
using Rules = std::vector<Rule>;
using Table = std::unordered_map<std::string, Rules>;

const Rules kSemanticNp = {
    {Dir::RightDis, {"NN", "NNP", "NNPS", "NNS", "NX", "NML", "JJR", "WP"}},
    {Dir::Left, {"NP", "PRP"}},
    {Dir::RightDis, {"$", "ADJP", "FW"}},
    {Dir::Right, {"CD"}},
    {Dir::RightDis, {"JJ", "JJS", "QP", "DT", "WDT", "NML", "PRN", "RB", "RBR", "ADVP"}},
    {Dir::RightDis, {"VP"}},
    {Dir::Left, {"POS"}},
};

const Table& semantic_table() {
  static const Table table = {
      {"ADJP", {{Dir::Left, {"$"}},
                {Dir::RightDis, {"NNS", "NN", "JJ", "QP", "VBN", "VBG"}},
                {Dir::Left, {"ADJP"}},
                {Dir::RightDis, {"JJP", "JJR", "JJS", "DT", "RB", "RBR", "CD", "IN", "VBD"}},
                {Dir::Left, {"ADVP", "NP"}}}},
      {"JJP", {{Dir::Left, {"NNS", "NN", "$", "QP", "JJ", "VBN", "VBG", "ADJP", "JJP", "JJR", "NP", "JJS", "DT",
                            "FW", "RBR", "RBS", "SBAR", "RB"}}}},
      {"ADVP", {{Dir::Left, {"ADVP", "IN"}},
                {Dir::RightDis, {"RB", "RBR", "RBS", "JJ", "JJR", "JJS"}},
                {Dir::RightDis, {"RP", "DT", "NN", "CD", "NP", "VBN", "NNP", "CC", "FW", "NNS", "ADJP", "NML"}}}},
      {"CONJP", {{Dir::Right, {"CC", "VB", "JJ", "RB", "IN"}}}},
      {"FRAG", {{Dir::Left, {"IN"}},
                {Dir::Right, {"RB"}},
                {Dir::Left, {"NP"}},
                {Dir::Left, {"ADJP", "ADVP", "FRAG", "S", "SBAR", "VP"}}}},
      {"INTJ", {{Dir::Left, {}}}},
      {"LST", {{Dir::Right, {"LS", ":"}}}},
      {"NAC", {{Dir::Left, {"NN", "NNS", "NML", "NNP", "NNPS", "NP", "NAC", "EX", "$", "CD", "QP", "PRP", "VBG",
                            "JJ", "JJS", "JJR", "ADJP", "JJP", "FW"}}}},
      {"NP", kSemanticNp},
      {"NML", kSemanticNp},
      {"NX", kSemanticNp},
      {"PP", {{Dir::Right, {"IN", "TO", "VBG", "VBN", "RP", "FW", "JJ", "SYM"}}, {Dir::Left, {"PP"}}}},
      {"PRN", {{Dir::Left, {"VP", "SQ", "S", "SINV", "SBAR", "NP", "ADJP", "JJP", "PP", "ADVP", "INTJ", "WHNP",
                            "NAC", "VBP", "JJ", "NN", "NNP"}}}},
      {"PRT", {{Dir::Right, {"RP"}}}},
      {"QP", {{Dir::Right, {"$", "NNS", "NN", "CD", "JJ", "PDT", "DT", "IN", "RB", "NCD", "QP", "JJR", "JJS"}}}},
      {"RRC", {{Dir::Left, {"RRC"}}, {Dir::Right, {"VP", "ADJP", "JJP", "NP", "PP", "ADVP"}}}},
      {"S", {{Dir::Left, {"VP", "S", "FRAG", "SBAR", "ADJP", "JJP", "UCP", "TO"}}, {Dir::Right, {"NP"}}}},
      {"SBAR", {{Dir::Left, {"S", "SQ", "SINV", "SBAR", "FRAG", "VP", "WHNP", "WHPP", "WHADVP", "WHADJP", "IN",
                             "DT"}}}},
      {"SBARQ", {{Dir::Left, {"SQ", "S", "SINV", "SBARQ", "FRAG", "SBAR"}}}},
      {"SINV", {{Dir::Left, {"VBZ", "VBD", "VBP", "VB", "MD", "VBN", "VP", "S", "SINV", "ADJP", "JJP", "NP"}}}},
      {"SQ", {{Dir::Left, {"VP", "SQ", "ADJP", "JJP", "VB", "VBZ", "VBD", "VBP", "MD"}}}},
      {"UCP", {{Dir::Left, {}}}},
      {"VP", {{Dir::Left, {"TO", "VBD", "VBN", "MD", "VBZ", "VB", "VBG", "VBP", "VP", "ADJP", "JJP", "NN", "NNS",
                           "JJ", "NP", "NNP"}}}},
      {"WHADJP", {{Dir::Left, {"ADJP", "JJ", "JJR", "WP"}}, {Dir::Right, {"RB"}}, {Dir::Right, {}}}},
      {"WHADVP", {{Dir::RightDis, {"WRB", "WHADVP", "RB", "JJ"}}}},
      {"WHNP", {{Dir::RightDis, {"NN", "NNP", "NNPS", "NNS", "NX", "NML", "JJR", "WP"}},
                {Dir::Left, {"WHNP", "NP"}},
                {Dir::RightDis, {"$", "ADJP", "PRN", "FW"}},
                {Dir::Right, {"CD"}},
                {Dir::RightDis, {"JJ", "JJS", "RB", "QP"}},
                {Dir::Left, {"WHPP", "WHADJP", "WP$", "WDT"}}}},
      {"WHPP", {{Dir::Right, {"IN", "TO", "FW"}}}},
      {"X", {{Dir::Right, {"S", "VP", "ADJP", "JJP", "NP", "SBAR", "PP", "X"}}}},
      {"POSSP", {{Dir::Right, {"POS"}}}},
      {"ROOT", {{Dir::Left, {"S", "SQ", "SINV", "SBARQ", "FRAG"}}}},
  };
  return table;
}

const Rules kPenn2MaltNp = {
    {Dir::RightDis, {"POS", "NN", "NNP", "NNPS", "NNS", "NX", "JJR"}},
    {Dir::Right, {"CD", "JJ", "JJS", "RB", "QP", "NP"}},
};

// Penn2Malt's head table (Yamada & Matsumoto 2003, after Collins 1999). Checked against the NLTK
// WSJ sample's Penn2Malt .dp files: 99.98% of heads agree (tests/unit/test_ptb_shared.cpp).
const Table& penn2malt_table() {
  static const Table table = {
      {"ADJP", {{Dir::Right, {"NNS", "QP", "NN", "$", "ADVP", "JJ", "VBN", "VBG", "ADJP", "JJR", "NP", "JJS", "DT",
                              "FW", "RBR", "RBS", "SBAR", "RB"}}}},
      {"ADVP", {{Dir::Left, {"RB", "RBR", "RBS", "FW", "ADVP", "TO", "CD", "JJR", "JJ", "IN", "NP", "JJS", "NN"}}}},
      {"CONJP", {{Dir::Left, {"CC", "RB", "IN"}}}},
      {"FRAG", {{Dir::Left, {}}}},
      {"INTJ", {{Dir::Right, {}}}},
      {"LST", {{Dir::Left, {"LS", ":"}}}},
      {"NAC", {{Dir::Right, {"NN", "NNS", "NNP", "NNPS", "NP", "NAC", "EX", "$", "CD", "QP", "PRP", "VBG", "JJ",
                             "JJS", "JJR", "ADJP", "FW"}}}},
      {"NP", kPenn2MaltNp},
      {"NX", kPenn2MaltNp},
      {"PP", {{Dir::Left, {"IN", "TO", "VBG", "VBN", "RP", "FW"}}}},
      {"PRN", {{Dir::Right, {}}}},
      {"PRT", {{Dir::Left, {"RP"}}}},
      {"QP", {{Dir::Right, {"$", "IN", "NNS", "NN", "JJ", "RB", "DT", "CD", "NCD", "QP", "JJR", "JJS"}}}},
      {"RRC", {{Dir::Left, {"VP", "NP", "ADVP", "ADJP", "PP"}}}},
      {"S", {{Dir::Right, {"TO", "IN", "VP", "S", "SBAR", "ADJP", "UCP", "NP"}}}},
      {"SBAR", {{Dir::Right, {"WHNP", "WHPP", "WHADVP", "WHADJP", "IN", "DT", "S", "SQ", "SINV", "SBAR", "FRAG"}}}},
      {"SBARQ", {{Dir::Right, {"SQ", "S", "SINV", "SBARQ", "FRAG"}}}},
      {"SINV", {{Dir::Right, {"VBZ", "VBD", "VBP", "VB", "MD", "VP", "S", "SINV", "ADJP", "NP"}}}},
      {"SQ", {{Dir::Right, {"VBZ", "VBD", "VBP", "VB", "MD", "VP", "SQ"}}}},
      {"UCP", {{Dir::Left, {}}}},
      {"VP", {{Dir::Left, {"VBD", "VBN", "MD", "VBZ", "VB", "VBG", "VBP", "VP", "ADJP", "NN", "NNS", "NP"}}}},
      {"WHADJP", {{Dir::Right, {"CC", "WRB", "JJ", "ADJP"}}}},
      {"WHADVP", {{Dir::Left, {"CC", "WRB"}}}},
      {"WHNP", {{Dir::Right, {"WDT", "WP", "WP$", "WHADJP", "WHPP", "WHNP"}}}},
      {"WHPP", {{Dir::Left, {"IN", "TO", "FW"}}}},
      {"X", {{Dir::Right, {}}}},
      {"ROOT", {{Dir::Left, {"S", "SQ", "SINV", "SBARQ", "FRAG"}}}},
  };
  return table;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

class HeadFinder {
 public:
  HeadFinder(IndexedTree* tree, DepStyle style) : t_(*tree), style_(style) {}

  /// Bottom-up without recursion: ids are in pre-order, so every child has a larger id than its
  /// parent and a backward sweep sees children first.
  void run() {
    for (int id = static_cast<int>(t_.nodes.size()) - 1; id >= 0; --id) {
      Node& n = t_.at(id);
      if (n.leaf()) {
        n.head = n.token;
        continue;
      }
      n.head_pos = style_ == DepStyle::Stanford ? semantic_head(id) : penn2malt_head(id);
      n.head = t_.at(n.kids[static_cast<size_t>(n.head_pos)]).head;
    }
  }

 private:
  const std::string& cat(int id) const { return t_.at(id).cat; }
  bool punct(int id) const { return t_.at(id).leaf() && is_punctuation_tag(t_.at(id).cat); }
  const std::vector<int>& kids(int id) const { return t_.at(id).kids; }

  /// Position of the child `rule` picks, or -1.
  int locate(int id, const Rule& rule) const {
    const auto& k = kids(id);
    const int n = static_cast<int>(k.size());
    switch (rule.dir) {
      case Dir::Left:
        for (const auto& c : rule.cats)
          for (int i = 0; i < n; ++i)
            if (cat(k[i]) == c) return i;
        break;
      case Dir::Right:
        for (const auto& c : rule.cats)
          for (int i = n - 1; i >= 0; --i)
            if (cat(k[i]) == c) return i;
        break;
      case Dir::LeftDis:
        for (int i = 0; i < n; ++i)
          if (contains(rule.cats, cat(k[i]))) return i;
        break;
      case Dir::RightDis:
        for (int i = n - 1; i >= 0; --i)
          if (contains(rule.cats, cat(k[i]))) return i;
        break;
    }
    return -1;
  }

  /// First (from the left or the right) child that is not punctuation; the end child if all are.
  int first_non_punct(int id, bool from_left) const {
    const auto& k = kids(id);
    const int n = static_cast<int>(k.size());
    for (int j = 0; j < n; ++j) {
      const int i = from_left ? j : n - 1 - j;
      if (!punct(k[i])) return i;
    }
    return from_left ? 0 : n - 1;
  }

  /// Applies `rules`, the default and Collins' coordination rule.
  int apply(int id, const Rules& rules, bool coordination = true) const {
    int pos = -1;
    for (const Rule& r : rules) {
      pos = locate(id, r);
      if (pos >= 0) break;
    }
    if (pos < 0) {
      const Dir last = rules.empty() ? Dir::Left : rules.back().dir;
      pos = first_non_punct(id, last == Dir::Left || last == Dir::LeftDis);
    }
    return fix_punct_and_coordination(id, pos, coordination);
  }

  int fix_punct_and_coordination(int id, int pos, bool coordination) const {
    const auto& k = kids(id);
    if (punct(k[pos])) {
      // A punctuation head (a rule listed ':' or nothing else matched): nearest word to the
      // left, else to the right.
      for (int i = pos - 1; i >= 0; --i)
        if (!punct(k[i])) return i;
      for (int i = pos + 1; i < static_cast<int>(k.size()); ++i)
        if (!punct(k[i])) return i;
      return pos;
    }
    if (coordination && pos >= 2 && (cat(k[pos - 1]) == "CC" || cat(k[pos - 1]) == "CONJP")) {
      int i = pos - 2;
      while (i >= 0 && punct(k[i])) --i;
      if (i < 0) return pos;
      // On to the first conjunct of a list: "A , B and C", "A and B and C".
      while (i >= 2 && (cat(k[i - 1]) == "," || cat(k[i - 1]) == "CC") && !punct(k[i - 2]) &&
             cat(k[i - 2]).compare(0, 2, cat(k[i]), 0, 2) == 0)
        i -= 2;
      return i;
    }
    return pos;
  }

  // ---- Penn2Malt ---------------------------------------------------------------------------

  int penn2malt_head(int id) const {
    const std::string& c = cat(id);
    const auto& table = penn2malt_table();
    auto it = table.find(c);
    if (it == table.end() || c.empty() || c == "TOP") it = table.find("ROOT");
    return apply(id, it->second, /*coordination=*/false);
  }

  // ---- Stanford semantic heads --------------------------------------------------------------

  int semantic_head(int id) const {
    const std::string& c = cat(id);
    if (c == "VP" || c == "SQ" || c == "SINV") {
      const int pos = verbal_head(id);
      if (pos >= 0) return pos;
    }
    const auto& table = semantic_table();
    auto it = table.find(c);
    if (it == table.end() || c.empty() || c == "TOP") it = table.find("ROOT");
    return apply(id, it->second);
  }

  /// An auxiliary child: MD / TO (when `tag_only`), or a verb tag with a word from `is_word`.
  bool has_aux(int id, bool tag_only, bool (*is_word)(const std::string&)) const {
    for (int kid : kids(id)) {
      const Node& n = t_.at(kid);
      if (!n.leaf()) continue;
      if (tag_only && (n.cat == "TO" || n.cat == "MD")) return true;
      if (is_verb_tag(n.cat) && is_word(n.lower)) return true;
    }
    return false;
  }

  /// A VP child directly holding a participle (or a coordination of such VPs).
  bool participle_vp(int vp) const {
    for (int kid : kids(vp)) {
      const Node& n = t_.at(kid);
      if (n.leaf() && (n.cat == "VBN" || n.cat == "VBG" || n.cat == "VBD")) return true;
      if (!n.leaf() && n.cat == "VP" && participle_vp(kid)) return true;
    }
    return false;
  }

  bool has_passive_progressive_aux(int id) const {
    if (!has_aux(id, false, [](const std::string& w) { return is_be_word(w) || is_get_word(w); })) return false;
    for (int kid : kids(id))
      if (cat(kid) == "VP" && participle_vp(kid)) return true;
    return false;
  }

  /// "there is ...": an EX among the parent's children before this VP (for SQ: its own).
  bool existential(int id) const {
    const Node& n = t_.at(id);
    const std::vector<int>* scan = nullptr;
    if (n.cat == "VP" && n.parent >= 0) scan = &kids(n.parent);
    if (n.cat == "SQ") scan = &n.kids;
    if (!scan) return false;
    for (int kid : *scan) {
      if (n.cat == "VP" && cat(kid) == "VP") break;
      if (has_ex(kid)) return true;
    }
    return false;
  }

  bool has_ex(int id) const {
    const Node& n = t_.at(id);
    if (n.leaf()) return n.cat == "EX";
    for (int kid : n.kids)
      if (has_ex(kid)) return true;
    return false;
  }

  /// SQ of a wh-question: its SBARQ parent has a WH* child.
  bool wh_question(int id) const {
    const Node& n = t_.at(id);
    if (n.cat != "SQ" || n.parent < 0 || cat(n.parent) != "SBARQ") return false;
    for (int kid : kids(n.parent))
      if (cat(kid).compare(0, 2, "WH") == 0) return true;
    return false;
  }

  /// The VP / SQ / SINV special cases (file comment); -1 when neither applies.
  int verbal_head(int id) const {
    if (has_aux(id, true, is_aux_word) || has_passive_progressive_aux(id)) {
      const int pos = locate(id, {Dir::Left, {"VP", "ADJP"}});
      if (pos >= 0) return pos;
    }
    if (has_aux(id, false, is_copula_word) && !existential(id) && !wh_question(id)) {
      const bool sq = cat(id) == "SQ";
      int pos = locate(id, {sq ? Dir::Right : Dir::Left, {"VP", "ADJP", "NP", "WHADJP", "WHNP", "UCP"}});
      if (pos >= 0) {
        const Node& pred = t_.at(kids(id)[pos]);
        if (pred.tmp) pos = -1;  // "was (NP-TMP yesterday)": a temporal is no predicate
        // In a question only an NP after another NP is predicative ("is he a doctor").
        if (pos >= 0 && sq && pred.cat == "NP") {
          bool np_before = false;
          for (int i = 0; i < pos; ++i) np_before = np_before || cat(kids(id)[i]) == "NP";
          if (!np_before) pos = -1;
        }
      }
      if (pos >= 0) return pos;
    }
    return -1;
  }

  IndexedTree& t_;
  DepStyle style_;
};

std::string ascii_lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_empty_element(const PtbNode& node) {
  if (node.is_leaf()) return node.label == "-NONE-";
  for (const PtbNode& child : node.children)
    if (has_empty_element(child)) return true;
  return false;
}

void copy_node(const PtbNode& in, int parent, IndexedTree* out) {
  // X over X: (NP (NP ...)) is one NP; keep the outer node's function tags too.
  const PtbNode* src = &in;
  bool tmp = false;
  for (;;) {
    for (const auto& f : src->function_tags) {
      tmp = tmp || f == "TMP";
    }
    if (src->children.size() == 1 && !src->children[0].is_leaf() && src->children[0].label == src->label &&
        parent >= 0) {
      src = &src->children[0];
      continue;
    }
    break;
  }
  const int id = static_cast<int>(out->nodes.size());
  out->nodes.emplace_back();
  {
    Node& n = out->nodes.back();
    n.cat = src->label;
    n.tmp = tmp;
    n.parent = parent;
    if (src->is_leaf()) {
      n.word = src->word;
      n.lower = ascii_lower(src->word);
      n.token = static_cast<int>(out->leaves.size());
      out->leaves.push_back(id);
    }
  }
  if (parent >= 0) out->nodes[static_cast<size_t>(parent)].kids.push_back(id);
  for (const PtbNode& child : src->children) copy_node(child, id, out);
}

bool in(const std::string& w, std::initializer_list<const char*> list) {
  for (const char* x : list)
    if (w == x) return true;
  return false;
}

}  // namespace

IndexedTree index_tree(const PtbNode& root) {
  IndexedTree tree;
  if (!has_empty_element(root)) {
    copy_node(root, -1, &tree);
  } else {
    PtbNode pruned = root;  // rare: the reader removes them unless told not to
    remove_empty_elements(&pruned);
    copy_node(pruned, -1, &tree);
  }
  return tree;
}

void find_heads(IndexedTree* tree, DepStyle style) {
  HeadFinder(tree, style).run();
}

bool is_be_word(const std::string& w) {
  return in(w, {"be", "being", "been", "am", "are", "r", "is", "ai", "was", "were", "'m", "m", "'re", "'s", "s",
                "art", "ar"});
}

bool is_copula_word(const std::string& w) {
  return is_be_word(w) || in(w, {"seem", "seems", "seemed", "seeming", "appear", "appears", "appeared",
                                 "appearing", "become", "becomes", "became", "becoming", "stay", "stays",
                                 "stayed", "staying", "remain", "remains", "remained", "remaining", "resemble",
                                 "resembles", "resembled", "resembling"});
}

bool is_get_word(const std::string& w) { return in(w, {"get", "gets", "getting", "got", "gotten"}); }

bool is_aux_word(const std::string& w) {
  return in(w, {"will", "wo", "shall", "sha", "may", "might", "should", "would", "can", "could", "ca", "must",
                "'ll", "ll", "has", "have", "had", "having", "'ve", "ve", "v", "'d", "d", "do", "does", "did",
                "to", "na", "get", "gets", "getting", "got", "gotten"});
}

bool is_verb_tag(const std::string& tag) {
  return tag == "TO" || tag == "MD" || (tag.size() >= 2 && tag[0] == 'V' && tag[1] == 'B');
}

}  // namespace ptb_internal
}  // namespace bertology
