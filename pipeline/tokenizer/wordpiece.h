// WordPiece sub-word splitting (Hugging Face `WordpieceTokenizer`, transformers 4.44.2):
// greedy longest-match-first against the vocabulary, continuation pieces prefixed with "##".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/tokenizer/vocab.h"

namespace bertology {

/// Splits words into vocabulary pieces. Thread-safe (all methods const).
class WordpieceTokenizer {
 public:
  /// HF's default limit: words longer than this many code points become the unknown token.
  static constexpr size_t kDefaultMaxInputCharsPerWord = 100;

  /// `unk_token` must be in `vocab` (BertTokenizer checks that and reports the vocab file).
  WordpieceTokenizer(std::shared_ptr<const Vocab> vocab, std::string unk_token,
                     size_t max_input_chars_per_word = kDefaultMaxInputCharsPerWord);

  /// HF `WordpieceTokenizer.tokenize(text)`: splits `text` on Python whitespace and returns the
  /// pieces of every word. Throws InputError for invalid UTF-8.
  std::vector<std::string> tokenize(std::string_view text) const;

  /// Appends the pieces of one word (no whitespace inside) to `*tokens` and their ids to `*ids`.
  /// A word of more than max_input_chars_per_word code points, or one with a suffix that no
  /// vocabulary piece matches, yields the single unknown token (HF drops the pieces already
  /// found). Returns the number of pieces appended: >= 1, or 0 for an empty word.
  size_t tokenize_word(std::u32string_view word, std::vector<std::string>* tokens,
                       std::vector<int32_t>* ids) const;

  /// The unknown token.
  const std::string& unk_token() const { return unk_token_; }
  /// Vocabulary id of the unknown token.
  int32_t unk_id() const { return unk_id_; }

 private:
  std::shared_ptr<const Vocab> vocab_;
  std::string unk_token_;
  int32_t unk_id_;
  size_t max_chars_;
};

}  // namespace bertology
