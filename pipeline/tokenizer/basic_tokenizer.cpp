#include "pipeline/tokenizer/basic_tokenizer.h"

#include <algorithm>

#include "pipeline/tokenizer/unicode.h"

namespace bertology {
namespace {

// Appends `piece` to `words` split on Python whitespace, dropping empty parts: the final
// `whitespace_tokenize(" ".join(split_tokens))` of HF. Normalisation never creates whitespace
// (checked for every code point against CPython 3.11), so this normally appends `piece` as is.
void push_split_on_space(std::u32string_view piece, WordList* words) {
  size_t start = 0;
  for (size_t i = 0; i <= piece.size(); ++i) {
    if (i == piece.size() || unicode::is_python_space(piece[i])) {
      if (i > start) words->push_back(piece.substr(start, i - start));
      start = i + 1;
    }
  }
}

// HF `_run_split_on_punc`: every punctuation character becomes its own word.
void push_split_on_punc(std::u32string_view word, const CodePointStringSet& never_split,
                        WordList* words) {
  if (never_split.contains(word)) {
    push_split_on_space(word, words);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    if (unicode::is_bert_punctuation(word[i])) {
      if (i > start) push_split_on_space(word.substr(start, i - start), words);
      push_split_on_space(word.substr(i, 1), words);
      start = i + 1;
    }
  }
  if (start < word.size()) push_split_on_space(word.substr(start), words);
}

}  // namespace

CodePointStringSet::CodePointStringSet(const std::vector<std::string>& utf8_items,
                                       std::string_view what) {
  for (const std::string& s : utf8_items) insert(unicode::decode_utf8(s, what));
}

void CodePointStringSet::insert(std::u32string item) {
  auto it = std::lower_bound(items_.begin(), items_.end(), item);
  if (it == items_.end() || *it != item) items_.insert(it, std::move(item));
}

bool CodePointStringSet::contains(std::u32string_view s) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), s,
                             [](const std::u32string& a, std::u32string_view b) { return a < b; });
  return it != items_.end() && std::u32string_view(*it) == s;
}

BasicTokenizer::BasicTokenizer(bool do_lower_case, std::vector<std::string> never_split,
                               bool tokenize_chinese_chars, std::optional<bool> strip_accents)
    : do_lower_case_(do_lower_case),
      never_split_(never_split, "never_split entry"),
      tokenize_chinese_chars_(tokenize_chinese_chars),
      strip_accents_(strip_accents) {}

std::vector<std::string> BasicTokenizer::tokenize(
    std::string_view text, const std::vector<std::string>& extra_never_split) const {
  CodePointStringSet never_split = never_split_;
  for (const std::string& s : extra_never_split) {
    never_split.insert(unicode::decode_utf8(s, "never_split entry"));
  }
  WordList words;
  tokenize(unicode::decode_utf8(text, "tokenizer input"), never_split, &words);
  std::vector<std::string> out;
  out.reserve(words.size());
  for (size_t i = 0; i < words.size(); ++i) out.push_back(unicode::encode_utf8(words[i]));
  return out;
}

void BasicTokenizer::tokenize(std::u32string_view text, const CodePointStringSet& never_split,
                              WordList* words) const {
  // _clean_text + _tokenize_chinese_chars in one pass (CJK ideographs are neither controls nor
  // whitespace, so fusing the passes changes nothing).
  std::u32string cleaned;
  cleaned.reserve(text.size() + 8);
  for (char32_t cp : text) {
    if (cp < 0x80) {  // fast path: ASCII
      if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
        cleaned.push_back(U' ');
      } else if (cp >= 0x20 && cp != 0x7F) {
        cleaned.push_back(cp);
      }  // else: NUL and the other C0 controls / DEL are deleted
      continue;
    }
    if (cp == 0xFFFD || unicode::is_bert_control(cp)) continue;
    if (unicode::is_bert_whitespace(cp)) {
      cleaned.push_back(U' ');
    } else if (tokenize_chinese_chars_ && unicode::is_cjk_ideograph(cp)) {
      cleaned.push_back(U' ');
      cleaned.push_back(cp);
      cleaned.push_back(U' ');
    } else {
      cleaned.push_back(cp);
    }
  }

  // NFC after the CJK split, as HF does: a CJK compatibility ideograph (U+F900..) is split as
  // itself and then normalised to its unified twin.
  std::u32string normalized;
  unicode::append_nfc(cleaned, &normalized);

  const bool strip_when_lower = strip_accents_ != false;
  const bool strip_when_cased = strip_accents_ == true;
  std::u32string lowered;
  std::u32string stripped;
  const std::u32string_view all(normalized);
  size_t start = 0;
  for (size_t i = 0; i <= all.size(); ++i) {
    if (i < all.size() && !unicode::is_python_space(all[i])) continue;
    if (i > start) {
      std::u32string_view word = all.substr(start, i - start);
      if (!never_split.contains(word)) {
        if (do_lower_case_) {
          lowered.clear();
          unicode::append_lower(word, &lowered);
          word = lowered;
          if (strip_when_lower) {
            stripped.clear();
            unicode::append_strip_accents(word, &stripped);
            word = stripped;
          }
        } else if (strip_when_cased) {
          stripped.clear();
          unicode::append_strip_accents(word, &stripped);
          word = stripped;
        }
      }
      push_split_on_punc(word, never_split, words);
    }
    start = i + 1;
  }
}

}  // namespace bertology
