// Tests of the BERT WordPiece tokenizer (pipeline/tokenizer/): byte-exact parity with Hugging
// Face's slow BertTokenizer (transformers 4.44.2, Python 3.11 / Unicode 14.0) on the fixtures of
// scripts/make_tokenizer_reference.py, exhaustive checks of the Unicode layer against CPython's
// character data, targeted cases and bad-input errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "pipeline/tokenizer/basic_tokenizer.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/tokenizer/special_token_trie.h"
#include "pipeline/tokenizer/unicode.h"
#include "pipeline/tokenizer/vocab.h"
#include "pipeline/tokenizer/wordpiece.h"
#include "pipeline/util/error.h"

#ifndef BERTOLOGY_FIXTURES_DIR
#error "BERTOLOGY_FIXTURES_DIR must be defined (absolute path of tests/fixtures)"
#endif

namespace bertology {
namespace {

using nlohmann::json;
namespace uni = unicode;

const std::string kFixtures = BERTOLOGY_FIXTURES_DIR;
const std::string kUncasedVocab = kFixtures + "/vocab/bert-base-uncased-vocab.txt";
const std::string kCasedVocab = kFixtures + "/vocab/bert-base-cased-vocab.txt";

// ------------------------------------------------------------------------------------------------
// Helpers

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> rows;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(json::parse(line));
  }
  return rows;
}

const json& unicode_props() {
  static const json j = json::parse(read_file(kFixtures + "/tokenizer/unicode_props.json"));
  return j;
}

std::u32string cps_of(const json& arr) {
  std::u32string s;
  for (const json& v : arr) s.push_back(static_cast<char32_t>(v.get<uint32_t>()));
  return s;
}

std::u32string u32(const std::string& utf8) { return uni::decode_utf8(utf8); }

// Printable form of a string for failure messages: non-ASCII and controls as \u escapes.
std::string show(const std::string& utf8) {
  std::string out = "\"";
  for (char32_t cp : uni::decode_utf8(utf8)) {
    if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') {
      out.push_back(static_cast<char>(cp));
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", unsigned(cp));
      out += buf;
    }
  }
  return out + "\"";
}

std::string show(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + show(v[i]);
  return out + "]";
}

template <typename T>
std::string show_ints(const std::vector<T>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "]";
}

std::string show_cps(std::u32string_view s) {
  std::string out;
  for (char32_t cp : s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%04X", out.empty() ? "" : " ", unsigned(cp));
    out += buf;
  }
  return "<" + out + ">";
}

const BertTokenizer& uncased() {
  static const BertTokenizer t(Vocab::load(kUncasedVocab), TokenizerOptions{});
  return t;
}

const BertTokenizer& cased() {
  static const BertTokenizer t = [] {
    TokenizerOptions o;
    o.do_lower_case = false;
    return BertTokenizer(Vocab::load(kCasedVocab), o);
  }();
  return t;
}

// Per-process scratch root under the test temp dir, removed when the test program exits.
struct ScratchRoot {
  std::string path;
  ScratchRoot() {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base += '/';
    path = base + "bertology_tokenizer_test_" + std::to_string(::getpid());
    std::filesystem::create_directories(path);
  }
  ~ScratchRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// A fresh directory `name` under the scratch root.
std::string make_temp_dir(const std::string& name) {
  static const ScratchRoot root;
  const std::string dir = root.path + "/" + name;
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// Runs `fn`, expects an InputError whose message contains every string of `needles`.
template <typename Fn>
void expect_input_error(Fn&& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    ADD_FAILURE() << "expected InputError mentioning " << (needles.empty() ? "" : needles[0]);
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message must be one line: " << msg;
    for (const std::string& n : needles) {
      EXPECT_NE(msg.find(n), std::string::npos) << "message '" << msg << "' lacks '" << n << "'";
    }
  }
}

std::string small_vocab(const std::vector<std::string>& extra) {
  std::string v = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (const std::string& t : extra) v += t + "\n";
  return v;
}

// ------------------------------------------------------------------------------------------------
// Fixture metadata

TEST(TokenizerFixtures, BuiltWithTheReferenceVersions) {
  const json meta = json::parse(read_file(kFixtures + "/tokenizer/meta.json"));
  EXPECT_EQ(meta["unidata_version"], "14.0.0");
  EXPECT_EQ(meta["transformers"], "4.44.2");
  EXPECT_EQ(std::string(uni::reference_version()), meta["unidata_version"].get<std::string>());
  EXPECT_GE(meta["counts"]["text_cases"].get<int>(), 2000);
  EXPECT_GE(meta["counts"]["text_hard_cases"].get<int>(), 150);
  std::cout << "[ info     ] utf8proc Unicode database " << uni::database_version()
            << ", reference repertoire " << uni::reference_version() << "\n";
}

// ------------------------------------------------------------------------------------------------
// Unicode layer vs CPython 3.11, exhaustively

TEST(Unicode, CategoryOfEveryCodePointMatchesCPython) {
  const json& runs = unicode_props()["category_runs"];
  size_t mismatches = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    const uint32_t first = runs[r][0].get<uint32_t>();
    const uint32_t last = r + 1 < runs.size() ? runs[r + 1][0].get<uint32_t>() - 1 : 0x10FFFF;
    const std::string want = runs[r][1].get<std::string>();
    for (uint32_t cp = first; cp <= last; ++cp) {
      const std::string got = uni::category_name(uni::category(cp));
      if (got != want && mismatches++ < 10) {
        ADD_FAILURE() << "U+" << std::hex << cp << ": category " << got << ", CPython " << want;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Unicode, LowerOfEveryCodePointMatchesCPython) {
  std::vector<std::u32string> want(0x110000);
  for (const json& e : unicode_props()["lower"]) want[e[0].get<uint32_t>()] = cps_of(e[1]);
  size_t mismatches = 0;
  std::u32string got;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    got.clear();
    uni::append_lower_char(cp, &got);
    const std::u32string expected = want[cp].empty() ? std::u32string(1, cp) : want[cp];
    if (got != expected && mismatches++ < 10) {
      ADD_FAILURE() << "lower(U+" << std::hex << unsigned(cp) << ") = " << show_cps(got)
                    << ", CPython " << show_cps(expected);
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Unicode, FinalSigmaContextOfEveryCodePointMatchesCPython) {
  // CPython's classes, observed through str.lower(): C = cased (and not case-ignorable),
  // I = case-ignorable, O = neither. Probe ours the same way.
  const json& runs = unicode_props()["sigma_class_runs"];
  size_t r = 0, mismatches = 0;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    while (r + 1 < runs.size() && runs[r + 1][0].get<uint32_t>() <= cp) ++r;
    const std::string want = runs[r][1].get<std::string>();
    const std::u32string a = uni::to_lower(std::u32string{U' ', cp, 0x3A3});
    const std::u32string b = uni::to_lower(std::u32string{U'A', 0x3A3, cp, U'A'});
    const bool c = a.back() == 0x3C2;
    const bool o = b[1] == 0x3C2;
    const std::string got = c ? "C" : (o ? "O" : "I");
    if (got != want && mismatches++ < 10) {
      ADD_FAILURE() << "U+" << std::hex << unsigned(cp) << ": sigma class " << got << ", CPython "
                    << want;
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Unicode, PythonWhitespaceMatchesStrIsspace) {
  std::vector<bool> want(0x110000, false);
  for (const json& v : unicode_props()["python_space"]) want[v.get<uint32_t>()] = true;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    ASSERT_EQ(uni::is_python_space(cp), want[cp]) << "U+" << std::hex << unsigned(cp);
  }
}

TEST(Unicode, SingleCodePointNormalizationMatchesCPython) {
  std::vector<std::u32string> want_nfd(0x110000), want_nfc(0x110000);
  for (const json& e : unicode_props()["nfd"]) want_nfd[e[0].get<uint32_t>()] = cps_of(e[1]);
  for (const json& e : unicode_props()["nfc"]) want_nfc[e[0].get<uint32_t>()] = cps_of(e[1]);
  size_t mismatches = 0;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if ((cp >= 0xD800 && cp < 0xE000) || (cp >= 0xAC00 && cp <= 0xD7A3)) continue;
    const std::u32string one(1, cp);
    const std::u32string d = want_nfd[cp].empty() ? one : want_nfd[cp];
    const std::u32string c = want_nfc[cp].empty() ? one : want_nfc[cp];
    if ((uni::nfd(one) != d || uni::nfc(one) != c) && mismatches++ < 10) {
      ADD_FAILURE() << "U+" << std::hex << unsigned(cp) << ": nfd " << show_cps(uni::nfd(one))
                    << " vs " << show_cps(d) << ", nfc " << show_cps(uni::nfc(one)) << " vs "
                    << show_cps(c);
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Unicode, StringLowerNormalizeStripMatchCPython) {
  size_t n = 0;
  for (const json& e : unicode_props()["strings"]) {
    const std::string text = e[0].get<std::string>();
    const std::u32string s = u32(text);
    EXPECT_EQ(uni::encode_utf8(uni::to_lower(s)), e[1].get<std::string>()) << "lower " << show(text);
    EXPECT_EQ(uni::encode_utf8(uni::nfd(s)), e[2].get<std::string>()) << "NFD " << show(text);
    EXPECT_EQ(uni::encode_utf8(uni::nfc(s)), e[3].get<std::string>()) << "NFC " << show(text);
    EXPECT_EQ(uni::encode_utf8(uni::strip_accents(s)), e[4].get<std::string>())
        << "strip_accents " << show(text);
    ++n;
  }
  EXPECT_GT(n, 1500u);
}

TEST(Unicode, Utf8RoundTripAndStrictDecoding) {
  const std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a é 中 😀
  EXPECT_EQ(u32(text), (std::u32string{U'a', 0xE9, 0x4E2D, 0x1F600}));
  EXPECT_EQ(uni::encode_utf8(u32(text)), text);
  for (const std::string bad : {"\x80", "\xC0\xAF", "\xC1\x81", "\xE0\x80\xAF", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xC3", "\xE4\xB8",
                                "ok\xFF", "\xC3\x28"}) {
    expect_input_error([&] { uni::decode_utf8(bad, "probe"); }, {"probe", "invalid UTF-8"});
  }
  expect_input_error([] { uni::decode_utf8("abc\xC3", "probe"); }, {"at byte 3"});
}

TEST(Unicode, TargetedCasesFinalSigmaTurkishAccents) {
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("ΟΔΟΣ"))), "οδος");
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("ΣΟΦΟΣ ΣΟΦΟΣ."))), "σοφος σοφος.");
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("Σ"))), "σ");    // no cased letter before
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("ΑΣΑ"))), "ασα");  // cased letter after
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("ΑΣ'"))), "ας'");  // apostrophe is case-ignorable
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("ΑΣ'Β"))), "ασ'β");
  EXPECT_EQ(uni::to_lower(u32("İ")), (std::u32string{U'i', 0x307}));
  EXPECT_EQ(uni::encode_utf8(uni::strip_accents(uni::to_lower(u32("İstanbul")))), "istanbul");
  EXPECT_EQ(uni::encode_utf8(uni::to_lower(u32("STRASSE ẞ ß"))), "strasse ß ß");
  EXPECT_EQ(uni::encode_utf8(uni::strip_accents(u32("Crème Brûlée Ñandú"))), "Creme Brulee Nandu");
  EXPECT_EQ(uni::nfc(u32("e\u0301")), u32("é"));
  EXPECT_EQ(uni::nfd(u32("é")), u32("e\u0301"));
  EXPECT_EQ(uni::nfc(u32("\u212B")), u32("Å"));                        // singleton decomposition
  EXPECT_EQ(uni::nfd(u32("a\u0302\u0323")), u32("a\u0323\u0302"));    // canonical ordering
  EXPECT_EQ(uni::nfc(u32("\u1100\u1161\u11A8")), u32("각"));          // Hangul composition
  EXPECT_TRUE(uni::is_bert_control(0x200B));
  EXPECT_TRUE(uni::is_bert_control(0xFEFF));
  EXPECT_FALSE(uni::is_bert_control(U'\n'));
  EXPECT_TRUE(uni::is_bert_whitespace(0xA0));
  EXPECT_FALSE(uni::is_bert_whitespace(0x2028));  // Zl: not HF whitespace, but Python splits on it
  EXPECT_TRUE(uni::is_python_space(0x2028));
  EXPECT_TRUE(uni::is_bert_punctuation(U'$'));
  EXPECT_TRUE(uni::is_bert_punctuation(0x201C));
  EXPECT_TRUE(uni::is_cjk_ideograph(0x4E2D));
  EXPECT_FALSE(uni::is_cjk_ideograph(0x3042));  // hiragana
  // A code point assigned after Unicode 14.0 is unassigned for the reference (CPython 3.11).
  EXPECT_EQ(uni::category(0x1FAE8), uni::Category::Cn);
  EXPECT_TRUE(uni::is_bert_control(0x1FAE8));
}

// ------------------------------------------------------------------------------------------------
// Vocabulary

TEST(VocabTest, LoadsBertBaseVocabs) {
  const Vocab v = Vocab::load(kUncasedVocab);
  EXPECT_EQ(v.size(), 30522u);
  EXPECT_EQ(v.unique_size(), 30522u);
  EXPECT_EQ(v.find("[PAD]"), 0);
  EXPECT_EQ(v.find("[UNK]"), 100);
  EXPECT_EQ(v.find("[CLS]"), 101);
  EXPECT_EQ(v.find("[SEP]"), 102);
  EXPECT_EQ(v.find("[MASK]"), 103);
  EXPECT_EQ(v.find("hello"), 7592);
  EXPECT_EQ(v.find("##～"), 30521);
  EXPECT_EQ(v.find_continuation("～"), 30521);
  EXPECT_EQ(v.find("no-such-token"), -1);
  ASSERT_NE(v.token(1996), nullptr);
  EXPECT_EQ(*v.token(1996), "the");
  EXPECT_EQ(v.token(30522), nullptr);
  EXPECT_EQ(v.token(-1), nullptr);
  const Vocab c = Vocab::load(kCasedVocab);
  EXPECT_EQ(c.size(), 28996u);
  EXPECT_EQ(c.find("Hello"), 8667);
}

TEST(VocabTest, LineHandlingMatchesHfLoadVocab) {
  const std::string dir = make_temp_dir("vocab_lines");
  // CRLF and lone CR end lines (Python universal newlines); an empty line is the token "";
  // trailing spaces are kept; a duplicate maps to its last line; no final newline needed.
  write_file(dir + "/v.txt", "a\r\nb\rc \n\nb\nd");
  const Vocab v = Vocab::load(dir + "/v.txt");
  EXPECT_EQ(v.size(), 6u);
  EXPECT_EQ(v.unique_size(), 5u);
  EXPECT_EQ(v.find("a"), 0);
  EXPECT_EQ(v.find("b"), 4);  // last occurrence wins
  EXPECT_EQ(v.find("c "), 2);
  EXPECT_EQ(v.find("c"), -1);
  EXPECT_EQ(v.find(""), 3);
  EXPECT_EQ(v.find("d"), 5);
  EXPECT_EQ(v.token(1), nullptr);  // shadowed by the later "b"
  ASSERT_NE(v.token(4), nullptr);
  EXPECT_EQ(*v.token(4), "b");
  // A trailing newline does not add a token; a BOM is part of the first token (HF uses "utf-8").
  write_file(dir + "/w.txt", "\xEF\xBB\xBFx\ny\n");
  const Vocab w = Vocab::load(dir + "/w.txt");
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(w.find("x"), -1);
  EXPECT_EQ(w.find("\xEF\xBB\xBFx"), 0);
}

TEST(VocabTest, DuplicateIdsGiveUnknownTokenLikeHf) {
  const Vocab v = Vocab::from_lines({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "x", "x"});
  const BertTokenizer t(v, TokenizerOptions{});
  EXPECT_EQ(t.token_to_id("x"), 6);
  EXPECT_EQ(t.id_to_token(5), "[UNK]");
  EXPECT_EQ(t.id_to_token(6), "x");
  EXPECT_EQ(t.id_to_token(99), "[UNK]");
  EXPECT_EQ(t.token_to_id("nope"), 1);
}

// ------------------------------------------------------------------------------------------------
// Parity with HF on the fixtures

struct ParityResult {
  size_t cases = 0;
  size_t mismatches = 0;
};

void check_case(const BertTokenizer& tok, const json& row, const char* vocab_name, bool words_mode,
                ParityResult* res) {
  const json& want = row[vocab_name];
  const auto want_tokens = want["tokens"].get<std::vector<std::string>>();
  const auto want_ids = want["ids"].get<std::vector<int32_t>>();
  const auto want_word_ids = want["word_ids"].get<std::vector<int32_t>>();
  Encoding enc;
  std::vector<std::string> tokens;
  std::string input;
  if (words_mode) {
    const auto words = row["words"].get<std::vector<std::string>>();
    enc = tok.encode_words(words);
    tokens = tok.encode_words(words, false).tokens;
    input = show(words);
  } else {
    const std::string text = row["text"].get<std::string>();
    enc = tok.encode_text(text);
    tokens = tok.tokenize(text);
    input = show(text);
    const Encoding bare = tok.encode_text(text, false);
    if (bare.tokens != tokens || bare.ids.size() + 2 != enc.ids.size()) {
      tokens.clear();  // forces a reported mismatch below
    }
  }
  ++res->cases;
  if (tokens == want_tokens && enc.ids == want_ids && enc.word_ids == want_word_ids &&
      enc.tokens.size() == enc.ids.size()) {
    return;
  }
  if (res->mismatches++ < 5) {
    ADD_FAILURE() << vocab_name << " case " << row["id"].get<std::string>() << " input " << input
                  << "\n  HF tokens   " << show(want_tokens) << "\n  ours        " << show(tokens)
                  << "\n  HF ids      " << show_ints(want_ids) << "\n  ours        "
                  << show_ints(enc.ids) << "\n  HF word_ids " << show_ints(want_word_ids)
                  << "\n  ours        " << show_ints(enc.word_ids);
  }
}

void run_parity(const std::string& file, bool words_mode) {
  const std::vector<json> rows = read_jsonl(kFixtures + "/tokenizer/" + file);
  ASSERT_FALSE(rows.empty());
  ParityResult u, c;
  for (const json& row : rows) {
    check_case(uncased(), row, "uncased", words_mode, &u);
    check_case(cased(), row, "cased", words_mode, &c);
  }
  std::cout << "[ parity   ] " << file << ": uncased " << (u.cases - u.mismatches) << "/"
            << u.cases << ", cased " << (c.cases - c.mismatches) << "/" << c.cases
            << " cases identical to HF\n";
  EXPECT_EQ(u.mismatches, 0u);
  EXPECT_EQ(c.mismatches, 0u);
}

TEST(BertTokenizerParity, TextCasesMatchHf) { run_parity("parity_text.jsonl", false); }

TEST(BertTokenizerParity, WordsCasesMatchHf) { run_parity("parity_words.jsonl", true); }

TEST(BertTokenizerParity, BasicTokenizerMatchesHf) {
  // Columns: text, then HF BasicTokenizer outputs for: lower; cased; cased+strip_accents;
  // lower without stripping; lower, no CJK split, never_split=["[FOO]", "ΟΔΟΣ"].
  const BasicTokenizer configs[] = {
      BasicTokenizer(true),
      BasicTokenizer(false),
      BasicTokenizer(false, {}, true, true),
      BasicTokenizer(true, {}, true, false),
      BasicTokenizer(true, {"[FOO]", "ΟΔΟΣ"}, false),
  };
  size_t mismatches = 0, cases = 0;
  for (const json& e : unicode_props()["basic_tokenizer"]) {
    const std::string text = e[0].get<std::string>();
    for (size_t k = 0; k < 5; ++k) {
      ++cases;
      const auto want = e[k + 1].get<std::vector<std::string>>();
      const auto got = configs[k].tokenize(text);
      if (got != want && mismatches++ < 5) {
        ADD_FAILURE() << "config " << k << " input " << show(text) << "\n  HF   " << show(want)
                      << "\n  ours " << show(got);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << cases;
}

TEST(BertTokenizerParity, CodePointsAfterUnicode14AreDroppedLikePython311) {
  for (const json& e : unicode_props()["post_unicode14"]) {
    const std::string text = e[0].get<std::string>();
    EXPECT_EQ(uncased().tokenize(text), e[1].get<std::vector<std::string>>()) << show(text);
    EXPECT_EQ(cased().tokenize(text), e[2].get<std::vector<std::string>>()) << show(text);
  }
}

// ------------------------------------------------------------------------------------------------
// Targeted behaviour

using Strings = std::vector<std::string>;

TEST(BertTokenizerTest, FinalSigmaIsNeverProducedByTheFullTokenizer) {
  // HF lower-cases character by character before BasicTokenizer, so Σ -> σ everywhere...
  EXPECT_EQ(uncased().tokenize("ΟΔΟΣ"), (Strings{"ο", "##δ", "##ο", "##σ"}));
  // ...whereas BasicTokenizer alone applies str.lower() with the Final_Sigma rule.
  EXPECT_EQ(BasicTokenizer(true).tokenize("ΟΔΟΣ"), (Strings{"οδος"}));
  EXPECT_EQ(cased().tokenize("ΟΔΟΣ"), (Strings{"Ο", "##Δ", "##Ο", "##Σ"}));
}

TEST(BertTokenizerTest, TurkishDottedCapitalI) {
  EXPECT_EQ(uncased().tokenize("İstanbul"), (Strings{"istanbul"}));  // i + U+0307, accent stripped
  EXPECT_EQ(cased().tokenize("İstanbul"), (Strings{"İ", "##stan", "##bul"}));
}

TEST(BertTokenizerTest, PrecomposedAndDecomposedAccentsAgree) {
  EXPECT_EQ(uncased().encode_text("café").ids, uncased().encode_text("cafe\u0301").ids);
  EXPECT_EQ(cased().encode_text("café").ids, cased().encode_text("cafe\u0301").ids);  // NFC
  EXPECT_EQ(uncased().tokenize("RÉSUMÉ"), (Strings{"resume"}));
  EXPECT_EQ(uncased().tokenize("\u0301"), Strings{});  // a lone combining mark strips to nothing
}

TEST(BertTokenizerTest, CjkIdeographsAreSingleWords) {
  const Encoding e = uncased().encode_text("我愛北京ok");
  EXPECT_EQ(e.tokens, (Strings{"[CLS]", "我", "愛", "北", "京", "ok", "[SEP]"}));
  EXPECT_EQ(e.word_ids, (std::vector<int32_t>{-1, 0, 1, 2, 3, 4, -1}));
  EXPECT_EQ(e.num_words, 5);
  // An ideograph missing from the vocabulary is one [UNK] of its own, not part of a longer word.
  EXPECT_EQ(uncased().tokenize("我爱"), (Strings{"我", "[UNK]"}));
  // U+F900 (compatibility ideograph) is split as a CJK character, then NFC maps it to U+8C48.
  EXPECT_EQ(uncased().tokenize("\uF900x"), uncased().tokenize("\u8C48x"));
  // Kana are not ideographs: one word, split by WordPiece.
  EXPECT_EQ(uncased().encode_text("カタカナ").num_words, 1);
}

TEST(BertTokenizerTest, LongWordsBecomeUnknown) {
  EXPECT_NE(uncased().tokenize(std::string(100, 'a')), Strings{"[UNK]"});
  EXPECT_EQ(uncased().tokenize(std::string(101, 'a')), Strings{"[UNK]"});
  // The limit counts code points after normalisation: 101 x "e + U+0301" is 101 "é" -> 101 "e".
  std::string decomposed;
  for (int i = 0; i < 101; ++i) decomposed += "e\u0301";
  EXPECT_EQ(uncased().tokenize(decomposed), Strings{"[UNK]"});
  EXPECT_EQ(uncased().tokenize("a" + std::string(101, 'b') + " ok"), (Strings{"[UNK]", "ok"}));
}

TEST(BertTokenizerTest, UnmatchableWordIsOneUnknown) {
  const Encoding e = cased().encode_text("ὈΔΟΣ ok");
  EXPECT_EQ(e.tokens, (Strings{"[CLS]", "[UNK]", "ok", "[SEP]"}));
  EXPECT_EQ(e.word_ids, (std::vector<int32_t>{-1, 0, 1, -1}));
}

TEST(BertTokenizerTest, SpecialTokensInTextSplitLikeHf) {
  EXPECT_EQ(uncased().tokenize("hello [SEP] world"), (Strings{"hello", "[SEP]", "world"}));
  EXPECT_EQ(uncased().tokenize("a[MASK]b"), (Strings{"a", "[MASK]", "b"}));
  EXPECT_EQ(uncased().tokenize("[sep]"), (Strings{"[", "sep", "]"}));  // case-sensitive match
  EXPECT_EQ(uncased().tokenize("[[CLS]]"), (Strings{"[", "[CLS]", "]"}));
  EXPECT_EQ(uncased().tokenize("[CL\u200BS]"), (Strings{"[", "cl", "##s", "]"}));
  EXPECT_EQ(cased().tokenize("[CL\u200BS]"), (Strings{"[CLS]"}));  // re-formed after cleaning
  const Encoding e = uncased().encode_text("The [MASK] sat.");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{101, 1996, 103, 2938, 1012, 102}));
  EXPECT_EQ(e.word_ids, (std::vector<int32_t>{-1, 0, 1, 2, 3, -1}));
}

TEST(BertTokenizerTest, EmptyAndWhitespaceOnly) {
  for (const char* text : {"", " ", "\t\n\r ", "\u00A0\u3000", "\u200B\u200D\uFEFF"}) {
    const Encoding e = uncased().encode_text(text);
    EXPECT_EQ(e.ids, (std::vector<int32_t>{101, 102})) << show(text);
    EXPECT_EQ(e.num_words, 0);
    EXPECT_TRUE(uncased().encode_text(text, false).ids.empty());
  }
}

TEST(BertTokenizerTest, WordsModeDropsEmptyWordsAndKeepsIndices) {
  const Encoding e = uncased().encode_words({"Hello", "\u200B", "", "world", "don't"});
  EXPECT_EQ(e.tokens, (Strings{"[CLS]", "hello", "world", "don", "'", "t", "[SEP]"}));
  EXPECT_EQ(e.word_ids, (std::vector<int32_t>{-1, 0, 3, 4, 4, 4, -1}));
  EXPECT_EQ(e.num_words, 5);
  const Encoding none = uncased().encode_words({});
  EXPECT_EQ(none.ids, (std::vector<int32_t>{101, 102}));
  EXPECT_EQ(uncased().encode_words({"a", "b"}, false).word_ids, (std::vector<int32_t>{0, 1}));
}

TEST(BertTokenizerTest, InvalidUtf8InputIsAnInputError) {
  expect_input_error([] { uncased().encode_text("ok \xC3\x28 bad"); },
                     {"tokenizer input", "invalid UTF-8", "byte 3"});
  expect_input_error([] { uncased().encode_words({"fine", "\xFF"}); }, {"invalid UTF-8"});
}

TEST(BertTokenizerTest, ConfiguredNeverSplitWordsBypassWordpiece) {
  TokenizerOptions o;
  o.never_split = {"[FOO]", "Zzyzx"};
  const BertTokenizer t(Vocab::load(kUncasedVocab), o);
  // "[FOO]" is lower-cased by the per-character pass first ("[foo]"), so it no longer matches.
  EXPECT_EQ(t.tokenize("x [FOO] y"), (Strings{"x", "[", "foo", "]", "y"}));
  TokenizerOptions oc = o;
  oc.do_lower_case = false;
  const BertTokenizer tc(Vocab::load(kCasedVocab), oc);
  const Encoding e = tc.encode_text("x [FOO] Zzyzx");
  EXPECT_EQ(e.tokens, (Strings{"[CLS]", "x", "[FOO]", "Zzyzx", "[SEP]"}));
  EXPECT_EQ(e.ids[2], 100);  // not in the vocabulary: [UNK]'s id, token kept as is
}

TEST(SpecialTokenTrieTest, SplitsLikeHfTrie) {
  auto split = [](const std::vector<std::string>& tokens, const std::string& text) {
    SpecialTokenTrie trie;
    for (const std::string& t : tokens) trie.add(u32(t));
    const std::u32string s = u32(text);
    Strings out;
    for (const auto& [b, e] : trie.split(s)) out.push_back(uni::encode_utf8(s.substr(b, e - b)));
    return out;
  };
  // Examples from the HF Trie docstrings.
  EXPECT_EQ(split({"[CLS]", "extra_id_1", "extra_id_100"}, "[CLS] This is a extra_id_100"),
            (Strings{"[CLS]", " This is a ", "extra_id_100"}));
  EXPECT_EQ(split({"A", "P", "[SPECIAL]"}, "[SPECIAL]"), Strings{"[SPECIAL]"});
  EXPECT_EQ(split({"AB", "B", "C"}, "ABC"), (Strings{"AB", "C"}));
  EXPECT_EQ(split({"ABC", "B", "CD"}, "ABCD"), (Strings{"ABC", "D"}));
  EXPECT_EQ(split({}, "abc"), Strings{"abc"});
  EXPECT_TRUE(split({"x"}, "").empty());
}

TEST(SpecialTokenTrieTest, MatchesHfTrieOnRandomOverlappingTokens) {
  size_t cases = 0, mismatches = 0;
  for (const json& row : read_jsonl(kFixtures + "/tokenizer/trie_split.jsonl")) {
    SpecialTokenTrie trie;
    for (const json& t : row["tokens"]) trie.add(u32(t.get<std::string>()));
    const std::string text = row["text"].get<std::string>();
    const std::u32string s = u32(text);
    Strings got;
    for (const auto& [b, e] : trie.split(s)) got.push_back(uni::encode_utf8(s.substr(b, e - b)));
    const auto want = row["split"].get<Strings>();
    ++cases;
    if (got != want && mismatches++ < 5) {
      ADD_FAILURE() << "tokens " << row["tokens"].dump() << " text " << show(text) << "\n  HF   "
                    << show(want) << "\n  ours " << show(got);
    }
  }
  EXPECT_GE(cases, 1000u);
  EXPECT_EQ(mismatches, 0u);
}

// ------------------------------------------------------------------------------------------------
// Model directories and bad input

TEST(BertTokenizerModelDir, LoadsConfigLikeHf) {
  const std::string dir = make_temp_dir("model_cased");
  write_file(dir + "/vocab.txt", read_file(kCasedVocab));
  write_file(dir + "/tokenizer_config.json",
             R"({"do_lower_case": false, "model_max_length": 512, "tokenizer_class": "BertTokenizer",
                 "added_tokens_decoder": {"0": {"content": "[PAD]", "lstrip": false,
                 "normalized": false, "rstrip": false, "single_word": false, "special": true},
                 "100": {"content": "[UNK]", "special": true}}})");
  const BertTokenizer t = BertTokenizer::from_model_dir(dir);
  EXPECT_FALSE(t.options().do_lower_case);
  EXPECT_EQ(t.tokenize("Hello [SEP] World"), cased().tokenize("Hello [SEP] World"));

  // Without a config HF defaults apply: lower-casing on.
  const std::string bare = make_temp_dir("model_bare");
  write_file(bare + "/vocab.txt", read_file(kUncasedVocab));
  const BertTokenizer u = BertTokenizer::from_model_dir(bare);
  EXPECT_TRUE(u.options().do_lower_case);
  EXPECT_EQ(u.encode_text("Hello World").ids, uncased().encode_text("Hello World").ids);

  // Legacy special_tokens_map.json, strip_accents and never_split are honoured.
  const std::string legacy = make_temp_dir("model_legacy");
  write_file(legacy + "/vocab.txt", small_vocab({"<mask>", "cafe", "café"}));
  write_file(legacy + "/tokenizer_config.json",
             R"({"do_lower_case": true, "strip_accents": false, "never_split": ["X"]})");
  write_file(legacy + "/special_tokens_map.json", R"({"mask_token": {"content": "<mask>"}})");
  const BertTokenizer l = BertTokenizer::from_model_dir(legacy);
  EXPECT_EQ(l.options().mask_token, "<mask>");
  EXPECT_EQ(l.options().strip_accents, std::optional<bool>(false));
  EXPECT_EQ(l.tokenize("CAFÉ <mask>"), (Strings{"café", "<mask>"}));
}

TEST(BertTokenizerBadInput, MissingVocabFile) {
  expect_input_error([] { Vocab::load("/nonexistent/dir/vocab.txt"); },
                     {"/nonexistent/dir/vocab.txt"});
  const std::string dir = make_temp_dir("no_vocab");
  expect_input_error([&] { BertTokenizer::from_model_dir(dir); }, {dir + "/vocab.txt", "not found"});
}

TEST(BertTokenizerBadInput, VocabWithoutRequiredSpecialTokens) {
  const std::string dir = make_temp_dir("vocab_missing");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[CLS]", "cls_token"}, {"[SEP]", "sep_token"}, {"[UNK]", "unk_token"},
      {"[PAD]", "pad_token"}, {"[MASK]", "mask_token"}};
  for (const auto& [missing, field] : cases) {
    std::string content;
    for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"}) {
      if (missing != t) content += std::string(t) + "\n";
    }
    const std::string path = dir + "/vocab_" + field + ".txt";
    write_file(path, content);
    expect_input_error([&] { BertTokenizer(Vocab::load(path), TokenizerOptions{}); },
                       {path, missing, field});
  }
  // A configured special token must be in the vocabulary too.
  TokenizerOptions o;
  o.mask_token = "<mask>";
  expect_input_error([&] { BertTokenizer(Vocab::load(kUncasedVocab), o); },
                     {kUncasedVocab, "<mask>"});
}

TEST(BertTokenizerBadInput, VocabWithInvalidUtf8NamesFileAndLine) {
  const std::string dir = make_temp_dir("vocab_utf8");
  write_file(dir + "/vocab.txt", "[PAD]\n[UNK]\nbad\xC3\n");
  expect_input_error([&] { Vocab::load(dir + "/vocab.txt"); },
                     {dir + "/vocab.txt:3", "invalid UTF-8"});
}

TEST(BertTokenizerBadInput, MalformedOrUnsupportedTokenizerConfig) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"do_lower_case": true,)", "malformed JSON"},
      {"[1, 2]", "JSON object"},
      {R"({"do_lower_case": "yes"})", "do_lower_case"},
      {R"({"strip_accents": 1})", "strip_accents"},
      {R"({"never_split": "abc"})", "never_split"},
      {R"({"never_split": [1]})", "never_split"},
      {R"({"cls_token": 5})", "cls_token"},
      {R"({"mask_token": {"content": "[MASK]", "lstrip": true}})", "lstrip"},
      {R"({"do_basic_tokenize": false})", "do_basic_tokenize"},
      {R"({"split_special_tokens": true})", "split_special_tokens"},
      {R"({"bos_token": "<s>"})", "bos_token"},
      {R"({"additional_special_tokens": ["<x>"]})", "additional_special_tokens"},
      {R"({"added_tokens_decoder": {"30522": {"content": "<new>", "special": false}}})", "<new>"},
      {R"({"added_tokens_decoder": {"5": {"content": "[CLS]", "special": true}}})", "has id 5"},
      {R"({"added_tokens_decoder": {"abc": {"content": "[CLS]"}}})", "not a token id"},
  };
  int k = 0;
  for (const auto& [config, needle] : cases) {
    const std::string dir = make_temp_dir("bad_config_" + std::to_string(k++));
    write_file(dir + "/vocab.txt", read_file(kUncasedVocab));
    write_file(dir + "/tokenizer_config.json", config);
    expect_input_error([&] { BertTokenizer::from_model_dir(dir); },
                       {dir + "/tokenizer_config.json", needle});
  }
  const std::string dir = make_temp_dir("bad_added_tokens");
  write_file(dir + "/vocab.txt", read_file(kUncasedVocab));
  write_file(dir + "/added_tokens.json", R"({"<new>": 30522})");
  expect_input_error([&] { BertTokenizer::from_model_dir(dir); }, {dir + "/added_tokens.json"});
  const std::string map_dir = make_temp_dir("bad_special_map");
  write_file(map_dir + "/vocab.txt", read_file(kUncasedVocab));
  write_file(map_dir + "/special_tokens_map.json", "{not json");
  expect_input_error([&] { BertTokenizer::from_model_dir(map_dir); },
                     {map_dir + "/special_tokens_map.json", "malformed JSON"});
}

// ------------------------------------------------------------------------------------------------
// Speed

TEST(BertTokenizerSpeed, EncodesTheFixtureSentencesQuickly) {
  std::vector<std::string> texts;
  for (const json& row : read_jsonl(kFixtures + "/tokenizer/parity_text.jsonl")) {
    texts.push_back(row["text"].get<std::string>());
  }
  const int kRepeats = 5;
  size_t pieces = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < kRepeats; ++r) {
    for (const std::string& t : texts) pieces += uncased().encode_text(t).ids.size();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double per_sentence_us = 1e6 * s / (kRepeats * texts.size());
  std::cout << "[ timing   ] encode_text (uncased): " << texts.size() << " sentences x "
            << kRepeats << " in " << s << " s = " << per_sentence_us << " us/sentence ("
            << pieces / kRepeats << " ids per pass); 250k sentences ~ " << per_sentence_us * 0.25
            << " s\n";
  EXPECT_LT(per_sentence_us, 2000.0);  // generous: catches only pathological slowness

  std::vector<std::vector<std::string>> sentences;
  for (const json& row : read_jsonl(kFixtures + "/tokenizer/parity_words.jsonl")) {
    sentences.push_back(row["words"].get<std::vector<std::string>>());
  }
  size_t words = 0;
  for (const auto& w : sentences) words += w.size();
  const auto t1 = std::chrono::steady_clock::now();
  for (int r = 0; r < kRepeats; ++r) {
    for (const auto& w : sentences) pieces += uncased().encode_words(w).ids.size();
  }
  const double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const double per_word_us = 1e6 * s2 / (kRepeats * words);
  std::cout << "[ timing   ] encode_words (uncased): " << sentences.size() << " sentences, "
            << words << " words x " << kRepeats << " in " << s2 << " s = " << per_word_us
            << " us/word\n";
  EXPECT_LT(per_word_us, 200.0);
}

}  // namespace
}  // namespace bertology
