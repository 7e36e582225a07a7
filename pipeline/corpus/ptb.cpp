// Penn Treebank bracketed trees: tokenizer, iterative parser, label splitting, empty-element removal.
#include "pipeline/corpus/ptb.h"

#include <limits>
#include <memory>

#include "pipeline/util/error.h"

namespace bertology {

namespace {

constexpr size_t kMaxDepth = 1000;  // real trees nest under 100 levels

[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what) {
  throw InputError(cat(path, ":", line, ": ", what));
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

/// Tokens of the bracketed notation: '(' , ')' and atoms (maximal runs of other non-space bytes).
class Lexer {
 public:
  enum class Kind { Open, Close, Atom, End };

  explicit Lexer(std::string_view data) : data_(data) {}

  /// Advances to the next token; `line()` is then the line it starts on.
  Kind next() {
    while (pos_ < data_.size() && is_space(data_[pos_])) {
      if (data_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= data_.size()) return Kind::End;
    const char c = data_[pos_];
    if (c == '(' || c == ')') {
      ++pos_;
      return c == '(' ? Kind::Open : Kind::Close;
    }
    const size_t start = pos_;
    while (pos_ < data_.size() && !is_space(data_[pos_]) && data_[pos_] != '(' && data_[pos_] != ')') ++pos_;
    atom_ = data_.substr(start, pos_ - start);
    return Kind::Atom;
  }

  std::string_view atom() const { return atom_; }
  int64_t line() const { return line_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  std::string_view atom_;
};

std::string quoted(std::string_view s) {
  // Keep messages one line and short even for long garbage.
  std::string out(s.substr(0, 40));
  if (s.size() > 40) out += "...";
  return "'" + out + "'";
}

}  // namespace

PtbLabel split_ptb_label(std::string_view raw) {
  PtbLabel out;
  size_t cut = std::string_view::npos;
  if (raw.size() > 1 && raw[0] == '-') {
    // "-NONE-", "-LRB-": the category runs to the second '-'; anything after it is annotation.
    const size_t close = raw.find('-', 1);
    cut = close == std::string_view::npos ? std::string_view::npos : close + 1;
    if (cut >= raw.size()) cut = std::string_view::npos;
  } else if (!raw.empty()) {
    // Only after the first character: a label never starts with its annotation.
    cut = raw.find_first_of("-=|", 1);
  }
  if (cut == std::string_view::npos) {
    out.category = std::string(raw);
    return out;
  }
  out.category = std::string(raw.substr(0, cut));
  if (raw[cut] == '|') return out;  // "PRT|ADVP": an alternative category, not a function tag
  // The rest is "-TAG-TAG-1=2": tags between '-', a numeric co-index, an '=' gap index.
  std::string_view rest = raw.substr(cut);
  size_t i = 0;
  while (i < rest.size()) {
    const char sep = rest[i];
    size_t j = rest.find_first_of("-=|", i + 1);
    if (j == std::string_view::npos) j = rest.size();
    const std::string_view piece = rest.substr(i + 1, j - i - 1);
    if (sep == '|') break;
    if (sep == '-' && !piece.empty() && !all_digits(piece)) out.function_tags.emplace_back(piece);
    i = j;
  }
  return out;
}

std::vector<PtbTree> parse_ptb(std::string_view data, const std::string& path, int64_t max_trees,
                               const PtbReadOptions& options) {
  if (max_trees <= 0) max_trees = std::numeric_limits<int64_t>::max();
  std::vector<PtbTree> trees;
  Lexer lex(data);
  // Iterative, so a deeply nested (or hostile) file cannot overflow the C++ stack.
  std::vector<std::unique_ptr<PtbNode>> open;
  Lexer::Kind kind = lex.next();
  while (kind != Lexer::Kind::End && static_cast<int64_t>(trees.size()) < max_trees) {
    if (open.empty()) {
      if (kind == Lexer::Kind::Close) fail_at(path, lex.line(), "unbalanced brackets: ')' without a matching '('");
      if (kind == Lexer::Kind::Atom) {
        fail_at(path, lex.line(), cat("unexpected text ", quoted(lex.atom()), " between trees (expected '(')"));
      }
    }
    if (kind == Lexer::Kind::Open) {
      // The recursive helpers (copying, pruning, destruction) need a bound.
      if (open.size() >= kMaxDepth) fail_at(path, lex.line(), cat("brackets nested deeper than ", kMaxDepth));
      auto node = std::make_unique<PtbNode>();
      node->line = lex.line();
      kind = lex.next();
      if (kind == Lexer::Kind::Atom) {
        PtbLabel label = split_ptb_label(lex.atom());
        node->label = std::move(label.category);
        node->function_tags = std::move(label.function_tags);
        kind = lex.next();
        if (kind == Lexer::Kind::Atom) {
          // A preterminal: exactly one word, then ')'.
          node->word = std::string(lex.atom());
          const int64_t word_line = lex.line();
          kind = lex.next();
          if (kind == Lexer::Kind::Atom) {
            fail_at(path, lex.line(), cat("'(", node->label, " ", node->word, "' holds a second word ",
                                          quoted(lex.atom()), " (one word per POS tag)"));
          }
          if (kind == Lexer::Kind::Open) {
            fail_at(path, word_line, cat("word ", quoted(node->word), " has no POS tag (it is a sibling of a bracket)"));
          }
        }
      }
      open.push_back(std::move(node));
      continue;  // `kind` already holds the token after the label or word
    }
    if (kind == Lexer::Kind::Atom) {
      // An atom after a child bracket: a word without a POS tag, "(NP (DT the) dog)".
      fail_at(path, lex.line(), cat("word ", quoted(lex.atom()), " has no POS tag (it is a sibling of a bracket)"));
    }
    // kind == Close: finish the innermost open node.
    std::unique_ptr<PtbNode> node = std::move(open.back());
    open.pop_back();
    if (node->word.empty() && node->children.empty()) {
      if (node->label.empty()) fail_at(path, node->line, "empty brackets '()'");
      fail_at(path, node->line, cat("'(", node->label, ")' has neither a word nor children (a word without a POS tag?)"));
    }
    if (open.empty()) {
      PtbTree tree;
      tree.origin = cat(path, ":", node->line);
      tree.root = std::move(*node);
      if (options.remove_empty_elements) remove_empty_elements(&tree.root);
      trees.push_back(std::move(tree));
    } else {
      open.back()->children.push_back(std::move(*node));
    }
    kind = lex.next();
  }
  if (!open.empty()) {
    fail_at(path, open.back()->line,
            cat("unbalanced brackets: '(", open.back()->label, "' opened here is never closed"));
  }
  return trees;
}

int64_t remove_empty_elements(PtbNode* node) {
  int64_t removed = 0;
  std::vector<PtbNode> kept;
  kept.reserve(node->children.size());
  for (PtbNode& child : node->children) {
    if (child.is_leaf()) {
      if (child.label == "-NONE-") {
        ++removed;
        continue;
      }
    } else {
      removed += remove_empty_elements(&child);
      if (child.children.empty()) continue;  // held only empty elements
    }
    kept.push_back(std::move(child));
  }
  node->children = std::move(kept);
  return removed;
}

namespace {
void collect_leaves(const PtbNode& node, std::vector<const PtbNode*>* out) {
  if (node.is_leaf()) {
    out->push_back(&node);
    return;
  }
  for (const PtbNode& child : node.children) collect_leaves(child, out);
}

void write_tree(const PtbNode& node, std::string* out) {
  *out += '(';
  *out += node.label;
  if (node.is_leaf()) {
    *out += ' ';
    *out += node.word;
  }
  for (const PtbNode& child : node.children) {
    *out += ' ';
    write_tree(child, out);
  }
  *out += ')';
}
}  // namespace

std::vector<const PtbNode*> ptb_leaves(const PtbNode& node) {
  std::vector<const PtbNode*> out;
  collect_leaves(node, &out);
  return out;
}

std::string ptb_to_string(const PtbNode& node) {
  std::string out;
  write_tree(node, &out);
  return out;
}

}  // namespace bertology
