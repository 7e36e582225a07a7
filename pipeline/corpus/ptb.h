// Penn Treebank bracketed trees: the reader behind corpus format `ptb` and `bertology convert`.
//
// Input: one or many trees per file, spread over any number of lines, e.g. the WSJ `.mrg` files
//
//   ( (S (NP-SBJ (DT The) (NN ferry) ) (VP (VBD left) (NP-TMP (NN today) )) (. .) ))
//
// or trees rooted in `(ROOT ...)` / `(TOP ...)` as Stanford and BLLIP tools write them. The
// outermost bracket is kept as the tree's root node (label "" for the unlabeled WSJ wrapper).
//
// What the reader does to each tree:
//  - labels lose their function tags and co-indices: "NP-SBJ-1" -> "NP", "PP-LOC=2" -> "PP",
//    "PRT|ADVP" -> "PRT". The tags are kept apart in `function_tags` ({"SBJ"}, {"LOC"}) because
//    the Stanford conversion reads -TMP. A label is only cut after its first character,
//    and labels written "-XYZ-" ("-NONE-", "-LRB-", "-RRB-") are kept whole;
//  - by default (`PtbReadOptions::remove_empty_elements`), `-NONE-` leaves (traces *T*-1, PRO *,
//    null complementizers 0, *U*, ...) are deleted, and so is every constituent left without
//    children by that, so the remaining leaves are exactly the words of the sentence;
//  - words and POS tags are kept as written (PTB escapes such as -LRB- and `` stay as they are).
//
// Errors are InputError "FILE:LINE: what is wrong": unbalanced brackets (the line of the bracket
// that is never closed, or of the extra ')'), a word without a POS tag ("(NP the (NN dog))"), a
// bracket without children ("(NN)", "()"), a preterminal with two words, anything other than
// whitespace between trees, and brackets nested deeper than 1000 (the tree code recurses).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

/// One node of a bracketed tree. A leaf is a preterminal: its `label` is the POS tag and `word`
/// the token; every other node has children and an empty `word`.
struct PtbNode {
  std::string label;                       ///< category or POS tag, without function tags
  std::vector<std::string> function_tags;  ///< "SBJ", "TMP", ... from "NP-SBJ-TMP-1", in order
  std::string word;                        ///< the token, leaves only
  std::vector<PtbNode> children;           ///< in sentence order
  int64_t line = 0;                        ///< line of the node's opening bracket

  /// A preterminal (a word). Only a root emptied by remove_empty_elements() has neither
  /// children nor a word.
  bool is_leaf() const { return children.empty() && !word.empty(); }
};

/// One tree as read from a file.
struct PtbTree {
  PtbNode root;        ///< the outermost bracket ("" for "( (S ...) )", "ROOT" for "(ROOT ...)")
  std::string origin;  ///< "FILE:LINE" of the root's opening bracket
};

struct PtbReadOptions {
  /// Delete -NONE- leaves and the constituents that become empty (see the file comment).
  bool remove_empty_elements = true;
};

/// A raw label split into category and function tags.
struct PtbLabel {
  std::string category;                    ///< "NP" for "NP-SBJ-1"
  std::vector<std::string> function_tags;  ///< {"SBJ"}; numeric indices are dropped
};

/// Splits "NP-SBJ-1" / "PP-LOC=2" / "PRT|ADVP" / "-NONE-" as the file comment describes.
PtbLabel split_ptb_label(std::string_view raw);

/// Parses every tree in `data` (the bytes of `path`, which only names it in origins and
/// messages). `max_trees` > 0 stops after that many trees, so later errors go unseen.
/// @throws InputError "PATH:LINE: ..." on malformed input (see the file comment).
std::vector<PtbTree> parse_ptb(std::string_view data, const std::string& path, int64_t max_trees = 0,
                               const PtbReadOptions& options = {});

/// Deletes -NONE- leaves below `node` and the constituents left without children (never `node`
/// itself, which may end up childless). Returns the number of -NONE- leaves deleted.
int64_t remove_empty_elements(PtbNode* node);

/// The leaves below `node` in sentence order (`node` itself when it is a leaf).
std::vector<const PtbNode*> ptb_leaves(const PtbNode& node);

/// The files a PTB input names, sorted by path and without duplicates: `spec` itself when it is
/// a regular file (any name: "all-parses.txt.penn"); every file ending in ".mrg" below it, at any
/// depth, when it is a directory ("wsj/" with wsj/00/wsj_0001.mrg ...); else, when it holds
/// '*', '?' or '[', the matches of the glob(3) pattern ("wsj/0[2-9]/*.mrg"; '*' does not cross
/// '/', matched directories are expanded as above).
/// @throws InputError "SPEC: ..." when nothing exists there, a directory has no .mrg file, or a
/// pattern matches no file.
std::vector<std::string> ptb_input_files(const std::string& spec);

/// One-line bracketed form, "(S (NP (PRP I)) (VP (VBD ran)))": stripped labels, no function tags.
std::string ptb_to_string(const PtbNode& node);

}  // namespace bertology
