// Unicode helpers for the BERT tokenizer: UTF-8 <-> code points, character classes, NFC/NFD,
// Python-compatible lower-casing and accent stripping.
//
// Reference semantics are those of CPython 3.11 (`str`, `unicodedata`), which Hugging Face's slow
// `BertTokenizer` is built on. CPython 3.11 ships Unicode 14.0.0; the utf8proc library we use for
// the character database may be newer (Debian bookworm: utf8proc 2.8.0 = Unicode 15.0.0). To stay
// byte-exact with the reference we
//   * report every code point that is unassigned in Unicode 14.0 as category Cn (table generated
//     by scripts/make_tokenizer_reference.py into unicode14_unassigned.inc), so characters added
//     later are treated exactly as CPython 3.11 treats them (the BERT cleaner deletes them);
//   * take lower-case mappings and normalisation data from utf8proc, which agree with CPython 3.11
//     for every code point assigned in Unicode 14.0 (checked exhaustively by
//     tests/unit/test_tokenizer.cpp against tests/fixtures/tokenizer/unicode_props.json).
// Caveat: nfc()/nfd() on text that contains code points assigned after Unicode 14.0 may differ
// from CPython 3.11 (utf8proc knows their combining classes, CPython does not). The tokenizer never
// hits this: it deletes such code points (category Cn) before normalising.
//
// All functions are thread-safe. Code point strings are std::u32string (one char32_t per code
// point, like a Python str).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bertology::unicode {

/// Unicode general category, numbered as utf8proc numbers them (utf8proc_category_t).
enum class Category : uint8_t {
  Cn = 0, Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po,
  Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co
};

/// Version string of the utf8proc character database in use, e.g. "15.0.0".
const char* database_version();

/// The Unicode version whose character repertoire category() reproduces ("14.0.0", CPython 3.11).
const char* reference_version();

// ---------------------------------------------------------------------------------------------
// UTF-8

/// Decodes strict UTF-8 (as Python's `bytes.decode("utf-8")`) and appends the code points to
/// `*out`. Invalid input (stray continuation byte, overlong form, encoded surrogate, value above
/// U+10FFFF, truncated sequence) throws InputError "<what>: invalid UTF-8 at byte <offset> ...";
/// Python would have failed to decode such input before tokenizing, so there is no lossy repair.
void decode_utf8(std::string_view text, std::u32string* out, std::string_view what);

/// Convenience form of decode_utf8() that returns a fresh string.
std::u32string decode_utf8(std::string_view text, std::string_view what = "text");

/// Appends the UTF-8 encoding of `cp` to `*out`. `cp` must be <= U+10FFFF (surrogates are encoded
/// as their 3-byte form, as Python's "surrogatepass" would; they never come out of decode_utf8()).
void append_utf8(char32_t cp, std::string* out);

/// Appends the UTF-8 encoding of every code point of `cps` to `*out`.
void append_utf8(std::u32string_view cps, std::string* out);

/// UTF-8 encoding of `cps`.
std::string encode_utf8(std::u32string_view cps);

// ---------------------------------------------------------------------------------------------
// Character classes

/// General category as CPython 3.11's `unicodedata.category` reports it (Unicode 14.0 repertoire).
Category category(char32_t cp);

/// Two-letter name of a category ("Lu", "Cn", ...).
const char* category_name(Category c);

/// True if `cp` is unassigned (Cn) in Unicode 14.0 — includes noncharacters and unassigned planes.
bool is_unassigned_in_reference(char32_t cp);

/// Python's `str.isspace()` for one code point; `str.split()`/`str.strip()` split on exactly these.
/// (U+0009..U+000D, U+001C..U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
/// U+2029, U+202F, U+205F, U+3000.)
bool is_python_space(char32_t cp);

/// HF `_is_whitespace`: space, \t, \n, \r, or category Zs.
bool is_bert_whitespace(char32_t cp);

/// HF `_is_control`: category C* except \t, \n, \r (so Cc, Cf, Cs, Co and unassigned Cn).
bool is_bert_control(char32_t cp);

/// HF `_is_punctuation`: every non-alphanumeric printable ASCII character (33..47, 58..64, 91..96,
/// 123..126, including $ + < = > ^ ` | ~ which Unicode calls symbols) or category P*.
bool is_bert_punctuation(char32_t cp);

/// HF `BasicTokenizer._is_chinese_char`: the CJK Unified Ideographs blocks (not kana, not Hangul).
bool is_cjk_ideograph(char32_t cp);

// ---------------------------------------------------------------------------------------------
// Case mapping and normalisation

/// Appends the lower-case form of the one-character string `cp`, as Python's `chr(cp).lower()`:
/// the full mapping, so U+0130 (İ) becomes "i\u0307"; U+03A3 (Σ) alone becomes σ (a lone sigma is
/// never in Final_Sigma context).
void append_lower_char(char32_t cp, std::u32string* out);

/// Appends Python's `text.lower()` to `*out`: full lower-case mapping plus the one context rule
/// CPython implements, Final_Sigma (Σ becomes ς when preceded by a cased letter and not followed by
/// one, skipping case-ignorable characters in both directions). No locale rules (no Turkish or
/// Lithuanian tailoring), like CPython.
void append_lower(std::u32string_view text, std::u32string* out);

/// Python's `text.lower()`.
std::u32string to_lower(std::u32string_view text);

/// Appends `unicodedata.normalize("NFD", text)` (canonical decomposition + canonical ordering).
void append_nfd(std::u32string_view text, std::u32string* out);

/// Appends `unicodedata.normalize("NFC", text)`.
void append_nfc(std::u32string_view text, std::u32string* out);

/// `unicodedata.normalize("NFD", text)`.
std::u32string nfd(std::u32string_view text);

/// `unicodedata.normalize("NFC", text)`.
std::u32string nfc(std::u32string_view text);

/// HF `BasicTokenizer._run_strip_accents`: NFD, then drop every code point of category Mn.
/// Appends the result to `*out`.
void append_strip_accents(std::u32string_view text, std::u32string* out);

/// HF `BasicTokenizer._run_strip_accents` returning a fresh string.
std::u32string strip_accents(std::u32string_view text);

}  // namespace bertology::unicode
