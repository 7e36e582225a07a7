#include "pipeline/tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include "pipeline/util/error.h"

namespace bertology::unicode {
namespace {

struct Range {
  char32_t first;
  char32_t last;  // inclusive
};

// Code points that are unassigned (Cn) in Unicode 14.0.0, the database of CPython 3.11.
constexpr Range kUnassigned14[] = {
#include "unicode14_unassigned.inc"
};

// Everything at or above this bound is looked up by binary search; below it, in a bitmap. Planes
// 0-3 hold all the scripts and symbols; planes 4-16 are unassigned, tags/variation selectors or
// private use, so the slow path is practically never taken.
constexpr char32_t kBitmapLimit = 0x40000;

// One bit per code point below kBitmapLimit: 1 = unassigned in Unicode 14.0 (32 KiB).
const std::vector<uint64_t>& unassigned_bitmap() {
  static const std::vector<uint64_t> bits = [] {
    std::vector<uint64_t> b(kBitmapLimit / 64, 0);
    for (const Range& r : kUnassigned14) {
      for (char32_t cp = r.first; cp <= r.last && cp < kBitmapLimit; ++cp) {
        b[cp / 64] |= uint64_t{1} << (cp % 64);
      }
    }
    return b;
  }();
  return bits;
}

bool in_unassigned_table(char32_t cp) {
  auto it = std::upper_bound(std::begin(kUnassigned14), std::end(kUnassigned14), cp,
                             [](char32_t v, const Range& r) { return v < r.first; });
  if (it == std::begin(kUnassigned14)) return false;
  --it;
  return cp <= it->last;
}

// Canonical combining class as CPython 3.11 sees it (0 for code points it does not know).
int combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  if (is_unassigned_in_reference(cp)) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

// Characters with Word_Break = MidLetter, MidNumLet or Single_Quote: the part of Case_Ignorable
// that is not covered by the categories Mn, Me, Cf, Lm, Sk (DerivedCoreProperties.txt, 14.0).
bool is_word_break_mid(char32_t cp) {
  switch (cp) {
    case 0x0027: case 0x002E: case 0x003A: case 0x00B7: case 0x0387: case 0x055F: case 0x05F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55:
    case 0xFF07: case 0xFF0E: case 0xFF1A:
      return true;
    default:
      return false;
  }
}

// Unicode Case_Ignorable property (what CPython's _PyUnicode_IsCaseIgnorable tests).
bool is_case_ignorable(char32_t cp) {
  switch (category(cp)) {
    case Category::Mn: case Category::Me: case Category::Cf: case Category::Lm: case Category::Sk:
      return true;
    default:
      return is_word_break_mid(cp);
  }
}

// Unicode Cased property for characters that are not Case_Ignorable: Lu, Ll, Lt plus the
// Other_Lowercase/Other_Uppercase characters outside the case-ignorable categories (ª º, Roman
// numerals, circled and squared Latin letters). Cased characters that are also case-ignorable
// (e.g. modifier letters such as ʰ) never reach this test in the Final_Sigma scan, which checks
// case-ignorability first.
bool is_cased_for_sigma(char32_t cp) {
  switch (category(cp)) {
    case Category::Lu: case Category::Ll: case Category::Lt:
      return true;
    default:
      return cp == 0x00AA || cp == 0x00BA || (cp >= 0x2160 && cp <= 0x217F) ||
             (cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F149) ||
             (cp >= 0x1F150 && cp <= 0x1F169) || (cp >= 0x1F170 && cp <= 0x1F189);
  }
}

// CPython's handle_capital_sigma(): is the Σ at text[i] in Final_Sigma context?
bool is_final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  bool found = false;
  while (j > 0) {
    --j;
    if (!is_case_ignorable(text[j])) {
      found = true;
      break;
    }
  }
  if (!found || !is_cased_for_sigma(text[j])) return false;
  for (size_t k = i + 1; k < text.size(); ++k) {
    if (!is_case_ignorable(text[k])) return !is_cased_for_sigma(text[k]);
  }
  return true;
}

[[noreturn]] void throw_bad_utf8(std::string_view text, size_t at, std::string_view what) {
  std::string bytes;
  for (size_t k = at; k < text.size() && k < at + 4; ++k) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02X", static_cast<unsigned char>(text[k]));
    if (!bytes.empty()) bytes += ' ';
    bytes += hex;
  }
  throw InputError(cat(what, ": invalid UTF-8 at byte ", at, " (bytes ", bytes,
                       "); the input must be valid UTF-8"));
}

// Decomposes `text` canonically into `buf` and puts combining marks in canonical order.
void decompose_into(std::u32string_view text, std::vector<utf8proc_int32_t>* buf) {
  buf->clear();
  buf->reserve(text.size() + 8);
  utf8proc_int32_t tmp[32];
  for (char32_t cp : text) {
    // Below U+00C0 nothing has a canonical decomposition; unassigned-in-14 code points have none
    // in CPython 3.11 either.
    if (cp < 0xC0 || is_unassigned_in_reference(cp)) {
      buf->push_back(static_cast<utf8proc_int32_t>(cp));
      continue;
    }
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), tmp, 32,
                                                 static_cast<utf8proc_option_t>(
                                                     UTF8PROC_STABLE | UTF8PROC_DECOMPOSE),
                                                 &boundclass);
    if (n < 0 || n > 32) throw InternalError(cat("utf8proc cannot decompose U+", uint32_t(cp)));
    buf->insert(buf->end(), tmp, tmp + n);
  }
  // Canonical ordering: stable insertion sort of each run of non-starters by combining class.
  for (size_t i = 1; i < buf->size(); ++i) {
    const int ccc = combining_class(static_cast<char32_t>((*buf)[i]));
    if (ccc == 0) continue;
    size_t j = i;
    const utf8proc_int32_t cp = (*buf)[i];
    while (j > 0) {
      const int prev = combining_class(static_cast<char32_t>((*buf)[j - 1]));
      if (prev == 0 || prev <= ccc) break;
      (*buf)[j] = (*buf)[j - 1];
      --j;
    }
    (*buf)[j] = cp;
  }
}

bool all_below(std::u32string_view text, char32_t bound) {
  for (char32_t cp : text) {
    if (cp >= bound) return false;
  }
  return true;
}

}  // namespace

const char* database_version() { return utf8proc_unicode_version(); }

const char* reference_version() { return "14.0.0"; }

// ---------------------------------------------------------------------------------------------
// UTF-8

void decode_utf8(std::string_view text, std::u32string* out, std::string_view what) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  out->reserve(out->size() + n);
  size_t i = 0;
  while (i < n) {
    const unsigned char b0 = s[i];
    if (b0 < 0x80) {
      out->push_back(b0);
      ++i;
      continue;
    }
    // Ranges follow the Unicode "well-formed UTF-8" table (what CPython accepts).
    size_t len;
    char32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
      if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;  // no overlong forms
      if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      throw_bad_utf8(text, i, what);
    }
    if (i + len > n) throw_bad_utf8(text, i, what);
    if (s[i + 1] < lo || s[i + 1] > hi) throw_bad_utf8(text, i, what);
    cp = (cp << 6) | (s[i + 1] & 0x3F);
    for (size_t k = 2; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) throw_bad_utf8(text, i, what);
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    out->push_back(cp);
    i += len;
  }
}

std::u32string decode_utf8(std::string_view text, std::string_view what) {
  std::u32string out;
  decode_utf8(text, &out, what);
  return out;
}

void append_utf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void append_utf8(std::u32string_view cps, std::string* out) {
  out->reserve(out->size() + cps.size());
  for (char32_t cp : cps) append_utf8(cp, out);
}

std::string encode_utf8(std::u32string_view cps) {
  std::string out;
  append_utf8(cps, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Character classes

bool is_unassigned_in_reference(char32_t cp) {
  if (cp < 0x378) return false;  // the first unassigned code point of Unicode 14.0
  if (cp < kBitmapLimit) return (unassigned_bitmap()[cp / 64] >> (cp % 64)) & 1;
  if (cp > 0x10FFFF) return true;
  return in_unassigned_table(cp);
}

Category category(char32_t cp) {
  if (cp > 0x10FFFF || is_unassigned_in_reference(cp)) return Category::Cn;
  return static_cast<Category>(utf8proc_category(static_cast<utf8proc_int32_t>(cp)));
}

const char* category_name(Category c) {
  static constexpr std::array<const char*, 30> kNames = {
      "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
      "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
  const auto i = static_cast<size_t>(c);
  return i < kNames.size() ? kNames[i] : "??";
}

bool is_python_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  if (cp < 0x85) return false;
  switch (cp) {
    case 0x0085: case 0x00A0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool is_bert_whitespace(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  if (cp < 0x80) return false;
  return category(cp) == Category::Zs;
}

bool is_bert_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
  switch (category(cp)) {
    case Category::Cc: case Category::Cf: case Category::Cs: case Category::Co: case Category::Cn:
      return true;
    default:
      return false;
  }
}

bool is_bert_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  if (cp < 0x80) return false;
  switch (category(cp)) {
    case Category::Pc: case Category::Pd: case Category::Ps: case Category::Pe: case Category::Pi:
    case Category::Pf: case Category::Po:
      return true;
    default:
      return false;
  }
}

bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// ---------------------------------------------------------------------------------------------
// Case mapping and normalisation

void append_lower_char(char32_t cp, std::u32string* out) {
  if (cp < 0x80) {
    out->push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (cp == 0x130) {
    // The only unconditional multi-character lower-case mapping (SpecialCasing.txt).
    out->push_back(U'i');
    out->push_back(0x307);
    return;
  }
  if (cp > 0x10FFFF || is_unassigned_in_reference(cp)) {
    out->push_back(cp);
    return;
  }
  out->push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
}

void append_lower(std::u32string_view text, std::u32string* out) {
  out->reserve(out->size() + text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t cp = text[i];
    if (cp == 0x3A3) {
      out->push_back(is_final_sigma(text, i) ? 0x3C2 : 0x3C3);
    } else {
      append_lower_char(cp, out);
    }
  }
}

std::u32string to_lower(std::u32string_view text) {
  std::u32string out;
  append_lower(text, &out);
  return out;
}

void append_nfd(std::u32string_view text, std::u32string* out) {
  if (all_below(text, 0xC0)) {  // nothing there decomposes or reorders
    out->append(text);
    return;
  }
  std::vector<utf8proc_int32_t> buf;
  decompose_into(text, &buf);
  for (utf8proc_int32_t cp : buf) out->push_back(static_cast<char32_t>(cp));
}

void append_nfc(std::u32string_view text, std::u32string* out) {
  // Below U+0300 every code point is NFC-stable and none is the second half of a composition
  // (verified exhaustively for all pairs against CPython when this was written), so ASCII and
  // Latin-1 text skips utf8proc entirely.
  if (all_below(text, 0x300)) {
    out->append(text);
    return;
  }
  std::vector<utf8proc_int32_t> buf;
  decompose_into(text, &buf);
  const utf8proc_ssize_t n = utf8proc_normalize_utf32(
      buf.data(), static_cast<utf8proc_ssize_t>(buf.size()),
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) throw InternalError("utf8proc_normalize_utf32 failed");
  for (utf8proc_ssize_t i = 0; i < n; ++i) out->push_back(static_cast<char32_t>(buf[i]));
}

std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  append_nfd(text, &out);
  return out;
}

std::u32string nfc(std::u32string_view text) {
  std::u32string out;
  append_nfc(text, &out);
  return out;
}

void append_strip_accents(std::u32string_view text, std::u32string* out) {
  if (all_below(text, 0xC0)) {  // NFD is the identity there and no Mn exists below U+0300
    out->append(text);
    return;
  }
  std::vector<utf8proc_int32_t> buf;
  decompose_into(text, &buf);
  for (utf8proc_int32_t cp : buf) {
    if (category(static_cast<char32_t>(cp)) != Category::Mn) out->push_back(static_cast<char32_t>(cp));
  }
}

std::u32string strip_accents(std::u32string_view text) {
  std::u32string out;
  append_strip_accents(text, &out);
  return out;
}

}  // namespace bertology::unicode
