// Internal to the PTB conversion (ptb_heads.cpp, ptb_to_dep.cpp, ptb_sd_labels.cpp): the tree in
// index form and the head finders. Not part of the public API; include ptb_to_dep.h instead.
#pragma once

#include <string>
#include <vector>

#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"

namespace bertology {
namespace ptb_internal {

/// A node of the tree in index form (ids are positions in IndexedTree::nodes; parents and
/// children by id make the sibling and ancestor look-ups of the labeler cheap).
struct Node {
  std::string cat;    ///< category, or POS tag for a leaf
  bool tmp = false;   ///< carried the -TMP function tag
  std::string word;   ///< leaves: the token as written
  std::string lower;  ///< leaves: the token in ASCII lower case (word lists compare on it)
  std::vector<int> kids;
  int parent = -1;
  int token = -1;     ///< leaves: 0-based word position
  int head_pos = -1;  ///< inner nodes: position in `kids` of the head child
  int head = -1;      ///< 0-based word position of the lexical head

  bool leaf() const { return kids.empty(); }
};

struct IndexedTree {
  std::vector<Node> nodes;  ///< nodes[0] is the root
  std::vector<int> leaves;  ///< node id of each word, in sentence order

  const Node& at(int id) const { return nodes[static_cast<size_t>(id)]; }
  Node& at(int id) { return nodes[static_cast<size_t>(id)]; }
  /// Node id of the head child of `id`.
  /// The head child of `id`; a preterminal (a leaf, even one labelled like a phrase: "(S word)" in
  /// a malformed tree) is its own head.
  int head_kid(int id) const {
    const auto& node = at(id);
    return node.kids.empty() ? id : node.kids[static_cast<size_t>(node.head_pos)];
  }
  /// POS tag and lower-cased word of the lexical head of `id`.
  const std::string& head_tag(int id) const { return at(leaves[static_cast<size_t>(at(id).head)]).cat; }
  const std::string& head_word(int id) const { return at(leaves[static_cast<size_t>(at(id).head)]).lower; }
};

/// Copies `root` into index form, dropping -NONE- leaves, constituents left empty, and unary
/// nodes whose only child has the same category (X over X: their function tags are merged).
IndexedTree index_tree(const PtbNode& root);

/// Sets `head_pos` and `head` of every node, bottom-up, with the style's head rules.
void find_heads(IndexedTree* tree, DepStyle style);

/// Where a word attaches: its governor (0-based word position) and the relation.
struct Attachment {
  int governor = -1;
  std::string label;
};

/// The Stanford relation (and governor: usually the head of `parent`, another word for the
/// "number" of a compound number) of the head word of child `pos` of `parent`, which is not
/// the head child. `so_far` holds the attachments of the words below `parent` already made
/// (their governors as 1-based heads, 0 = none yet): the labeler asks whether the clause's
/// head verb has an auxpass to choose nsubjpass.
Attachment sd_attachment(const IndexedTree& tree, int parent, int pos, const std::vector<DepToken>& so_far,
                         const DepOptions& options);

/// Word lists shared by the head rules and the labeler (arguments are lower case).
bool is_be_word(const std::string& w);    ///< be, is, 's, were, ... (copula and passive aux)
bool is_copula_word(const std::string& w);  ///< be forms, seem, appear, become, stay, remain, resemble
bool is_get_word(const std::string& w);   ///< get, got, gotten, ... (passive aux)
bool is_aux_word(const std::string& w);   ///< will, would, have, do, to, get forms, ... (not be)
bool is_verb_tag(const std::string& tag); ///< TO, MD and VB*

}  // namespace ptb_internal
}  // namespace bertology
