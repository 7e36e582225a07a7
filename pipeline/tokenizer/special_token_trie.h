// Splitting text around added/special tokens ("[CLS]", "[MASK]", ...) typed in the input: a port
// of Hugging Face's `tokenization_utils.Trie.split` (transformers 4.44.2) to code points.
//
// The HF algorithm is a one-pass scan that tracks partial matches by start offset, takes the
// first match that completes, extends it with a longest-match lookahead, and resumes scanning
// after it. It is not a plain leftmost-longest matcher when tokens overlap (e.g. one token is a
// prefix or infix of another), so it is ported step by step, quirks included, instead of being
// replaced by a textbook algorithm. With BERT's five special tokens, which cannot overlap, it
// simply cuts out every occurrence of "[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertology {

/// Trie of special tokens with HF's split semantics. Immutable after construction; thread-safe.
class SpecialTokenTrie {
 public:
  /// Adds `token` (code points). Empty tokens are ignored, as in HF.
  void add(std::u32string_view token);

  /// True when no token was added.
  bool empty() const { return nodes_.size() <= 1; }

  /// HF `Trie.split(text)` as [begin, end) code-point ranges covering `text` in order, with no
  /// empty range. A range is a special token exactly when its text is one of the added tokens.
  std::vector<std::pair<size_t, size_t>> split(std::u32string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<char32_t, int>> children;  // (code point, node index); tiny fan-out
    bool terminal = false;
  };
  int child(int node, char32_t cp) const;

  std::vector<Node> nodes_{Node{}};  // nodes_[0] is the root
};

}  // namespace bertology
