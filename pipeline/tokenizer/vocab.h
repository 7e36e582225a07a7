// WordPiece vocabulary: `vocab.txt` loaded exactly as Hugging Face's `load_vocab` loads it.
//
// HF reads the file as UTF-8 text with universal newlines (`\n`, `\r\n` and a lone `\r` all end a
// line), takes line i (0-based) as the token of id i after removing the line break, and stores the
// tokens in a dict. Consequences reproduced here:
//   * other whitespace is part of the token ("foo " and "foo" are different tokens);
//   * an empty line is the token "" (it has an id, but no input ever looks it up);
//   * a duplicated token maps to the id of its LAST occurrence; the earlier id still exists (the
//     embedding row is there) but has no token: HF's id->token lookup returns the unknown token
//     for it, token() here returns nullptr;
//   * a trailing line break does not create an extra empty token; a UTF-8 BOM is not stripped
//     (HF opens the file as "utf-8", not "utf-8-sig"), so it becomes part of the first token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

/// Token <-> id table of a WordPiece vocabulary. Immutable after construction; thread-safe.
class Vocab {
 public:
  /// Loads `path`. Throws InputError naming the file when it cannot be opened or is not valid
  /// UTF-8 (with the 1-based line of the first bad byte).
  static Vocab load(const std::string& path);

  /// Builds a vocabulary from the lines of a vocab file (id = index), e.g. for tests. `source`
  /// names the vocabulary in error messages.
  static Vocab from_lines(std::vector<std::string> lines, std::string source = "<in-memory vocab>");

  /// Id of `token`, or -1 when absent. For a duplicated token: the id of its last line.
  int32_t find(std::string_view token) const;

  /// Id of the continuation piece "##" + `piece`, or -1 when absent; no string is built.
  int32_t find_continuation(std::string_view piece) const;

  /// True when `token` is in the vocabulary.
  bool contains(std::string_view token) const { return find(token) >= 0; }

  /// The token whose id is `id`, or nullptr when `id` is out of range or shadowed by a later
  /// duplicate (HF's `ids_to_tokens` has no entry for it either).
  const std::string* token(int32_t id) const;

  /// Number of ids = number of lines of the file (embedding rows the model needs).
  size_t size() const { return tokens_.size(); }

  /// Number of distinct tokens = HF's `vocab_size` (`len(tokenizer.vocab)`); < size() only when
  /// the file has duplicate lines.
  size_t unique_size() const { return unique_; }

  /// Where the vocabulary came from (file path), for error messages.
  const std::string& source() const { return source_; }

 private:
  Vocab() = default;
  void build_index();
  int32_t lookup(uint64_t hash, std::string_view prefix, std::string_view rest) const;

  std::vector<std::string> tokens_;  // by id: the line content
  std::vector<int32_t> slots_;       // open-addressing hash table of ids, -1 = empty
  uint64_t mask_ = 0;                // slots_.size() - 1 (a power of two)
  size_t unique_ = 0;
  std::string source_;
};

}  // namespace bertology
