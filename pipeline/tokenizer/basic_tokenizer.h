// BERT "basic" tokenization (Hugging Face `BasicTokenizer`, transformers 4.44.2): cleaning,
// CJK splitting, NFC, whitespace splitting, lower-casing / accent stripping, punctuation
// splitting. WordPiece runs on its output.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

/// An immutable set of code-point strings with allocation-free lookup by view (sorted vector;
/// sets here are tiny: never_split entries and special tokens).
class CodePointStringSet {
 public:
  CodePointStringSet() = default;

  /// Builds the set from UTF-8 strings; `what` names them in the InputError thrown for invalid
  /// UTF-8.
  CodePointStringSet(const std::vector<std::string>& utf8_items, std::string_view what);

  /// Adds `item` (no-op when present).
  void insert(std::u32string item);

  /// True when `s` is in the set.
  bool contains(std::u32string_view s) const;

  /// True when the set has no element.
  bool empty() const { return items_.empty(); }

  /// The elements, sorted by code point.
  const std::vector<std::u32string>& items() const { return items_; }

 private:
  std::vector<std::u32string> items_;
};

/// A list of words kept in one code-point buffer, so that tokenizing a sentence costs a couple of
/// allocations instead of one per word.
struct WordList {
  /// All words back to back.
  std::u32string chars;
  /// ends[i] = one past the last code point of word i in `chars`.
  std::vector<size_t> ends;

  /// Number of words.
  size_t size() const { return ends.size(); }
  /// Word i.
  std::u32string_view operator[](size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::u32string_view(chars).substr(begin, ends[i] - begin);
  }
  /// Removes every word (keeps the capacity).
  void clear() {
    chars.clear();
    ends.clear();
  }
  /// Appends a word.
  void push_back(std::u32string_view w) {
    chars.append(w);
    ends.push_back(chars.size());
  }
};

/// HF `BasicTokenizer`. For text t and never_split set N, tokenize() returns
///   whitespace_split(join(" ", [punct_split(normalize(w)) for w in
///       whitespace_split(NFC(cjk_split(clean(t))))]))
/// where
///   clean      deletes U+0000, U+FFFD and HF "control" characters (category C* except \t \n \r:
///              so also format characters such as U+200B/U+200D/U+FEFF/U+00AD, private use and
///              unassigned code points) and maps HF whitespace (space, \t, \n, \r, Zs) to ' ';
///   cjk_split  puts spaces around CJK ideographs (when tokenize_chinese_chars);
///   whitespace_split is Python's str.split(): it also splits on U+2028/U+2029 and the other
///              Python whitespace that clean() keeps;
///   normalize  (skipped for w in N) = lower() (Python str.lower(), with Final_Sigma) then accent
///              stripping when do_lower_case and strip_accents != false; accent stripping only
///              when !do_lower_case and strip_accents == true;
///   punct_split splits around every punctuation character (skipped when the normalized word is
///              in N).
/// Thread-safe (all methods const).
class BasicTokenizer {
 public:
  /// `never_split`: words kept whole and unnormalized (HF `never_split`). `strip_accents`:
  /// unset = follow do_lower_case (HF default None).
  explicit BasicTokenizer(bool do_lower_case = true, std::vector<std::string> never_split = {},
                          bool tokenize_chinese_chars = true,
                          std::optional<bool> strip_accents = std::nullopt);

  /// HF `BasicTokenizer.tokenize(text, never_split=extra_never_split)`, UTF-8 in and out. Throws
  /// InputError for invalid UTF-8.
  std::vector<std::string> tokenize(std::string_view text,
                                    const std::vector<std::string>& extra_never_split = {}) const;

  /// Same on code points, appending the words to `*words`. `never_split` is the complete set to
  /// honour (the configured never_split() plus any extra entries): callers merge them once.
  void tokenize(std::u32string_view text, const CodePointStringSet& never_split,
                WordList* words) const;

  /// The configured never_split set.
  const CodePointStringSet& never_split() const { return never_split_; }
  /// Whether words are lower-cased.
  bool do_lower_case() const { return do_lower_case_; }
  /// Whether CJK ideographs are split into single-character words.
  bool tokenize_chinese_chars() const { return tokenize_chinese_chars_; }
  /// Accent stripping setting (unset = same as do_lower_case).
  std::optional<bool> strip_accents() const { return strip_accents_; }

 private:
  bool do_lower_case_;
  CodePointStringSet never_split_;
  bool tokenize_chinese_chars_;
  std::optional<bool> strip_accents_;
};

}  // namespace bertology
