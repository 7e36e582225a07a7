// Tree -> dependencies: index the tree, find heads, then attach every non-head child's head word
// to its phrase's head word, bottom-up so the labeler can read what was attached below.
#include "pipeline/corpus/ptb_to_dep.h"

#include "pipeline/corpus/ptb_internal.h"
#include "pipeline/util/error.h"

namespace bertology {

namespace pi = ptb_internal;

namespace {

class Converter {
 public:
  Converter(const pi::IndexedTree& tree, const DepOptions& options, std::vector<DepToken>* out)
      : t_(tree), options_(options), out_(*out) {}

  /// Attaches the non-head children of every phrase, children's phrases before their parent's
  /// (ids are in pre-order, so a backward sweep does that without recursion).
  void run() {
    for (int id = static_cast<int>(t_.nodes.size()) - 1; id >= 0; --id) attach_children(id);
  }

 private:
  void attach_children(int id) {
    const pi::Node& n = t_.at(id);
    for (int pos = 0; pos < static_cast<int>(n.kids.size()); ++pos) {
      if (pos == n.head_pos) continue;
      DepToken& dep = out_[static_cast<size_t>(t_.at(n.kids[static_cast<size_t>(pos)]).head)];
      if (options_.style == DepStyle::Malt) {
        dep.head = n.head + 1;
        dep.deprel = n.cat.empty() ? "ROOT" : n.cat;
      } else {
        const pi::Attachment a = pi::sd_attachment(t_, id, pos, out_, options_);
        dep.head = a.governor + 1;
        dep.deprel = a.label;
      }
    }
  }

  const pi::IndexedTree& t_;
  const DepOptions& options_;
  std::vector<DepToken>& out_;
};

}  // namespace

DepStyle parse_dep_style(const std::string& name) {
  if (name == "sd" || name == "stanford") return DepStyle::Stanford;
  if (name == "malt") return DepStyle::Malt;
  throw InputError(cat("unknown dependency style '", name, "' (expected sd or malt)"));
}

const char* dep_style_name(DepStyle style) { return style == DepStyle::Stanford ? "sd" : "malt"; }

bool is_punctuation_tag(const std::string& tag) {
  static const char* const kTags[] = {"``", "''", ",", ".", ":", "-LRB-", "-RRB-", "-LCB-",
                                      "-RCB-", "-LSB-", "-RSB-", "HYPH", "NFP"};
  for (const char* t : kTags)
    if (tag == t) return true;
  return false;
}

std::vector<DepToken> ptb_to_dependencies(const PtbNode& root, const DepOptions& options, const std::string& origin) {
  pi::IndexedTree tree = pi::index_tree(root);
  BTL_REQUIRE(!tree.leaves.empty(), origin, ": tree has no words");
  pi::find_heads(&tree, options.style);

  std::vector<DepToken> out(tree.leaves.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const pi::Node& leaf = tree.at(tree.leaves[i]);
    out[i].word = leaf.word;
    out[i].tag = leaf.cat;
  }
  Converter(tree, options, &out).run();
  DepToken& root_word = out[static_cast<size_t>(tree.at(0).head)];
  root_word.head = 0;
  root_word.deprel = options.style == DepStyle::Malt ? "ROOT" : "root";
  return out;
}

}  // namespace bertology
