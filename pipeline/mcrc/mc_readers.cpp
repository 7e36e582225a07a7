// Readers for MCTest, DREAM, MCScript and RACE; mc_readers.h has the formats and conventions.
//
// Layout: shared file/line/message helpers, then one section per format. MCScript needs an XML
// parser; the small one here reads the subset that format uses (mc_readers.h lists it) and
// reports every error with its line, which a general library would not give us for free.
#include "pipeline/mcrc/mc_readers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/util/error.h"
#include "pipeline/util/read_file.h"

namespace bertology {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Options per question. Fixed per dataset so the model side can batch options; a question with
// another count is a broken file, not a variant.
constexpr int kMctestOptions = 4;
constexpr int kDreamOptions = 3;
constexpr int kMcscriptOptions = 2;
constexpr int kRaceOptions = 4;

// ---- files, lines, messages ---------------------------------------------------------------------

[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what) {
  throw InputError(cat(path, ":", line, ": ", what));
}

/// "FILE: key [3][1].answer: what"; an empty key is the document itself ("FILE: top level: what").
[[noreturn]] void fail_key(const std::string& path, const std::string& key,
                           const std::string& what) {
  if (key.empty()) throw InputError(cat(path, ": top level: ", what));
  throw InputError(cat(path, ": key ", key, ": ", what));
}

/// The whole file without a leading UTF-8 byte-order mark. `role` says what the file is for, so
/// that a missing .ans says which file was looked for and why.
std::string read_text_file(const std::string& path, const std::string& role) {
  std::string data = read_file_bytes(path, role, true);
  if (data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);
  return data;
}

/// The lines of `data`. "\n" ends a line and a "\r" before it is dropped (the MCTest release has
/// CRLF line ends); a final "\n" does not start an extra empty line. Line L is element L - 1.
std::vector<std::string_view> split_lines(std::string_view data) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string_view::npos) end = data.size();
    std::string_view line = data.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    const size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

/// "A, B, C or D" for n = 4: the answer letters a file may use.
std::string letter_list(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += i + 1 == n ? " or " : ", ";
    out += static_cast<char>('A' + i);
  }
  return out;
}

/// "A" -> 0, "B" -> 1, ... for the first n letters; -1 for anything else.
int letter_index(std::string_view s, int n) {
  if (s.size() != 1 || s[0] < 'A' || s[0] >= 'A' + n) return -1;
  return s[0] - 'A';
}

/// "<format>/<stem>": "mctest/mc160.dev", "race/dev" (for a folder, its own name, also when
/// given as "RACE/dev/" or ".").
McDataset start_dataset(const std::string& format, const std::string& path, bool folder) {
  McDataset ds;
  ds.path = path;
  fs::path p = fs::path(path).lexically_normal();
  if (folder) {
    p = fs::absolute(p).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    ds.name = cat(format, "/", p.filename().string());
  } else {
    ds.name = cat(format, "/", p.stem().string());
  }
  return ds;
}

void require_questions(const McDataset& ds) {
  BTL_REQUIRE(!ds.examples.empty(), ds.path, ": no questions found");
}

// ---- JSON helpers (DREAM, RACE) -----------------------------------------------------------------

/// Parses a whole file. nlohmann's what() is "[json.exception.parse_error.101] parse error at
/// line 3, column 5: DETAIL"; that becomes "FILE:3: malformed JSON: DETAIL (column 5)".
json parse_json_file(const std::string& path, const std::string& data) {
  try {
    return json::parse(data);
  } catch (const json::parse_error& e) {
    const std::string what = e.what();
    const size_t at = what.find("at line ");
    long line = 0, column = 0;
    if (at != std::string::npos &&
        std::sscanf(what.c_str() + at, "at line %ld, column %ld", &line, &column) == 2) {
      const size_t colon = what.find(": ", at);
      fail_at(path, line,
              cat("malformed JSON: ", what.substr(colon + 2), " (column ", column, ")"));
    }
    throw InputError(cat(path, ": malformed JSON at byte ", e.byte, ": ", what));
  }
}

std::string key_index(const std::string& key, size_t i) { return cat(key, "[", i, "]"); }
std::string key_member(const std::string& key, const char* name) {
  return key.empty() ? std::string(name) : cat(key, ".", name);
}

/// Typed access to a parsed JSON document whose failures name the file and the key path.
class JsonReader {
 public:
  explicit JsonReader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    fail_key(path_, key, what);
  }

  const json& list(const json& j, const std::string& key) const {
    if (!j.is_array()) fail(key, cat("expected a list, found ", j.type_name()));
    return j;
  }

  /// `obj[name]`, which must exist; `obj` (at `key`) must be an object.
  const json& member(const json& obj, const std::string& key, const char* name) const {
    if (!obj.is_object()) fail(key, cat("expected an object, found ", obj.type_name()));
    const auto it = obj.find(name);
    if (it == obj.end()) fail(key_member(key, name), "missing");
    return *it;
  }

  std::string string(const json& j, const std::string& key) const {
    if (!j.is_string()) fail(key, cat("expected a string, found ", j.type_name()));
    return j.get<std::string>();
  }

  /// A list of exactly `n` strings (n < 0: any length).
  std::vector<std::string> strings(const json& j, const std::string& key, int n) const {
    list(j, key);
    if (n >= 0 && j.size() != static_cast<size_t>(n)) {
      fail(key, cat("expected ", n, " options, found ", j.size()));
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < j.size(); ++i) out.push_back(string(j[i], key_index(key, i)));
    return out;
  }

 private:
  const std::string& path_;
};

// ---- MCTest -------------------------------------------------------------------------------------

constexpr int kMctestQuestions = 4;
constexpr int kMctestFields = 3 + kMctestQuestions * (1 + kMctestOptions);  // id, properties, story

/// The story with the release's "\newline" and "\tab" escapes turned back into the characters
/// they replaced. The release has no other backslashes; any would stay as they are.
std::string unescape_story(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 8, "\\newline") == 0) {
      out += '\n';
      i += 8;
    } else if (s.compare(i, 4, "\\tab") == 0) {
      out += '\t';
      i += 4;
    } else {
      out += s[i++];
    }
  }
  return out;
}

/// The question without its "one: " / "multiple: " prefix (how many story sentences its author
/// says the answer needs); false when it has neither.
bool strip_question_kind(std::string_view* question) {
  for (const std::string_view prefix :
       {std::string_view("one: "), std::string_view("multiple: ")}) {
    if (question->substr(0, prefix.size()) == prefix) {
      question->remove_prefix(prefix.size());
      return true;
    }
  }
  return false;
}

/// The four 0-based answers on line `n` of the .ans file.
std::vector<int> parse_mctest_answers(const std::string& path, int64_t n, std::string_view line) {
  const auto letters = split_tabs(line);
  if (is_blank(line) || letters.size() != static_cast<size_t>(kMctestQuestions)) {
    fail_at(path, n,
            cat("expected ", kMctestQuestions, " tab-separated answer letters (",
                letter_list(kMctestOptions), "), found ", is_blank(line) ? 0 : letters.size(),
                is_blank(line) ? " (blank line)" : ""));
  }
  std::vector<int> answers;
  for (size_t q = 0; q < letters.size(); ++q) {
    const int a = letter_index(letters[q], kMctestOptions);
    if (a < 0) {
      fail_at(
          path, n,
          cat("answer ", q + 1, " is '", letters[q], "', expected ", letter_list(kMctestOptions)));
    }
    answers.push_back(a);
  }
  return answers;
}

/// The four questions of TSV line `n`, with the answers from the matching .ans line.
void parse_mctest_story(const std::string& path, int64_t n, std::string_view line,
                        const std::vector<int>& answers, McDataset* ds) {
  const auto fields = split_tabs(line);
  if (fields.size() != static_cast<size_t>(kMctestFields)) {
    fail_at(path, n,
            cat("expected ", kMctestFields, " tab-separated fields (id, properties, ",
                "story, then 4 x question and answers A-D), found ", fields.size(),
                is_blank(line) ? " (blank line)" : ""));
  }
  const std::string story_id(fields[0]);
  if (story_id.empty()) fail_at(path, n, "empty story id (field 1)");
  const std::string passage = unescape_story(fields[2]);
  for (int q = 0; q < kMctestQuestions; ++q) {
    const size_t first = 3 + static_cast<size_t>(q) * (1 + kMctestOptions);
    std::string_view question = fields[first];
    if (!strip_question_kind(&question)) {
      fail_at(path, n,
              cat("question ", q + 1, " (field ", first + 1, ") does not start with ",
                  "\"one: \" or \"multiple: \"; is this an MCTest .tsv file?"));
    }
    McExample ex;
    ex.id = cat(story_id, "-", q);
    ex.origin = cat(path, ":", n);
    ex.passage = passage;
    ex.question.assign(question);
    for (int o = 0; o < kMctestOptions; ++o) ex.options.emplace_back(fields[first + 1 + o]);
    ex.answer = answers[q];
    ds->examples.push_back(std::move(ex));
  }
}

// ---- DREAM --------------------------------------------------------------------------------------

/// The questions of dialogue `d`: [[turn, ...], [{question, choice, answer}, ...], id].
void read_dream_dialogue(const JsonReader& r, const std::string& path, const json& dialogue,
                         size_t d, McDataset* ds) {
  const std::string key = key_index("", d);
  r.list(dialogue, key);
  if (dialogue.size() != 3) {
    r.fail(key, cat("expected [turns, questions, dialogue id], found a list of ", dialogue.size()));
  }
  const std::vector<std::string> turns = r.strings(dialogue[0], key_index(key, 0), -1);
  const std::string dialogue_id = r.string(dialogue[2], key_index(key, 2));
  std::string passage;
  for (size_t t = 0; t < turns.size(); ++t) passage += (t > 0 ? "\n" : "") + turns[t];

  const std::string questions_key = key_index(key, 1);
  const json& questions = r.list(dialogue[1], questions_key);
  for (size_t q = 0; q < questions.size(); ++q) {
    const std::string qkey = key_index(questions_key, q);
    McExample ex;
    ex.question = r.string(r.member(questions[q], qkey, "question"), key_member(qkey, "question"));
    ex.options = r.strings(r.member(questions[q], qkey, "choice"), key_member(qkey, "choice"),
                           kDreamOptions);
    const std::string answer_key = key_member(qkey, "answer");
    const std::string answer = r.string(r.member(questions[q], qkey, "answer"), answer_key);
    const auto count = std::count(ex.options.begin(), ex.options.end(), answer);
    if (count != 1) {
      r.fail(answer_key, count == 0 ? cat("\"", answer, "\" is not one of the choices")
                                    : cat("\"", answer, "\" occurs ", count, " times in choice"));
    }
    ex.answer = static_cast<int>(std::find(ex.options.begin(), ex.options.end(), answer) -
                                 ex.options.begin());
    ex.id = cat(dialogue_id, "-", q);
    ex.origin = cat(path, ":", qkey);
    ex.passage = passage;
    ds->examples.push_back(std::move(ex));
  }
}

// ---- XML (MCScript) -----------------------------------------------------------------------------

struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< in document order
  std::vector<XmlElement> children;
  std::string text;       ///< character data directly inside, entities decoded, CDATA included
  int64_t line = 0;       ///< of the "<" that opens it
  int64_t text_line = 0;  ///< of its first non-whitespace character data; 0 when it has none

  const std::string* attribute(std::string_view key) const {
    for (const auto& [k, v] : attributes) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Names: ASCII letters, '_' and ':' to start, also digits, '-' and '.' after; bytes >= 0x80 are
// accepted as parts of UTF-8 letters without classifying them (the files we read are ASCII-named).
bool is_name_start(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u == ':' || u >= 0x80;
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/// Code points XML allows in a document (the Char production).
bool is_xml_char(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// A recursive-descent parser for the XML subset in mc_readers.h, building the whole tree (the
/// largest MCScript file is 3.5 MB). Errors are "FILE:LINE: what".
class XmlParser {
 public:
  XmlParser(const std::string& path, std::string_view data) : path_(path), data_(data) {}

  XmlElement parse_document() {
    skip_misc(/*allow_doctype=*/true);
    if (at_end()) fail("no root element (the file holds no XML element)");
    if (data_[pos_] != '<') fail("text before the root element");
    XmlElement root;
    parse_element(&root, 0);
    skip_misc(/*allow_doctype=*/false);
    if (!at_end()) {
      fail(data_[pos_] == '<' ? "a second element after the root element (XML has one root)"
                              : "text after the root element");
    }
    return root;
  }

 private:
  static constexpr int kMaxDepth = 256;  // far beyond MCScript's 5; keeps recursion bounded

  [[noreturn]] void fail(const std::string& what) { fail_at(path_, line_at(pos_), what); }
  [[noreturn]] void fail_from(size_t pos, const std::string& what) {
    fail_at(path_, line_at(pos), what);
  }

  /// 1-based line of byte `pos`. Positions mostly grow, so count on from the last one asked.
  int64_t line_at(size_t pos) {
    pos = std::min(pos, data_.size());
    if (pos < line_pos_) {
      line_pos_ = 0;
      line_ = 1;
    }
    line_ += std::count(data_.begin() + line_pos_, data_.begin() + pos, '\n');
    line_pos_ = pos;
    return line_;
  }

  bool at_end() const { return pos_ >= data_.size(); }
  bool looking_at(std::string_view s) const { return data_.substr(pos_, s.size()) == s; }

  /// What is at the current position, for messages: "'x'", "byte 0x01" or "end of file".
  std::string found() const {
    if (at_end()) return "end of file";
    const auto c = static_cast<unsigned char>(data_[pos_]);
    if (c >= 0x20 && c < 0x7F) return cat("'", data_[pos_], "'");
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02X", c);
    return cat("byte ", hex);
  }

  void expect(char c, const char* context) {
    if (at_end() || data_[pos_] != c)
      fail(cat("expected '", c, "' ", context, ", found ", found()));
    ++pos_;
  }

  bool skip_space() {
    const size_t start = pos_;
    while (!at_end() && is_xml_space(data_[pos_])) ++pos_;
    return pos_ > start;
  }

  /// From `open` (the current position) to just after `close`; `what` names the construct.
  std::string_view skip_past(std::string_view open, std::string_view close, const char* what) {
    const size_t start = pos_;
    const size_t end = data_.find(close, pos_ + open.size());
    if (end == std::string_view::npos)
      fail_from(start, cat(what, " is not closed (no '", close, "')"));
    pos_ = end + close.size();
    return data_.substr(start + open.size(), end - start - open.size());
  }

  /// <!DOCTYPE ...>, with an optional [internal subset] whose declarations are skipped unread.
  void skip_doctype() {
    const size_t start = pos_;
    char quote = 0;
    int depth = 0;
    for (pos_ += 9; !at_end(); ++pos_) {
      const char c = data_[pos_];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[') {
        ++depth;
      } else if (c == ']') {
        --depth;
      } else if (c == '>' && depth <= 0) {
        ++pos_;
        return;
      }
    }
    fail_from(start, "<!DOCTYPE is not closed");
  }

  /// Whitespace, comments and processing instructions (the <?xml ...?> declaration is one)
  /// around the root element, and the DOCTYPE before it.
  void skip_misc(bool allow_doctype) {
    for (;;) {
      skip_space();
      if (looking_at("<?")) {
        skip_past("<?", "?>", "processing instruction <?");
      } else if (looking_at("<!--")) {
        skip_past("<!--", "-->", "comment <!--");
      } else if (looking_at("<!DOCTYPE")) {
        if (!allow_doctype) fail("<!DOCTYPE after the root element");
        skip_doctype();
      } else {
        return;
      }
    }
  }

  std::string parse_name(const char* what) {
    const size_t start = pos_;
    if (at_end() || !is_name_start(data_[pos_])) fail(cat("expected ", what, ", found ", found()));
    while (!at_end() && is_name_char(data_[pos_])) ++pos_;
    return std::string(data_.substr(start, pos_ - start));
  }

  /// At '&': appends what the entity or character reference stands for.
  void append_reference(std::string* out) {
    const size_t start = pos_;
    const size_t semi = data_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) {
      fail("'&' that starts no entity (write &amp; for a literal '&')");
    }
    const std::string_view ref = data_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (ref == "amp") {
      *out += '&';
    } else if (ref == "lt") {
      *out += '<';
    } else if (ref == "gt") {
      *out += '>';
    } else if (ref == "quot") {
      *out += '"';
    } else if (ref == "apos") {
      *out += '\'';
    } else if (!ref.empty() && ref[0] == '#') {
      append_utf8(parse_char_reference(start, ref), out);
    } else {
      fail_from(start, cat("unknown entity '&", ref, ";' (only &amp; &lt; &gt; &quot; &apos; ",
                           "and &#N; / &#xN; are defined)"));
    }
  }

  /// "#65" or "#x41" -> 65; the code point must be one XML allows.
  uint32_t parse_char_reference(size_t start, std::string_view ref) {
    const bool hex = ref.size() > 1 && ref[1] == 'x';
    const std::string_view digits = ref.substr(hex ? 2 : 1);
    uint64_t cp = 0;
    bool ok = !digits.empty() && digits.size() <= 8;
    for (const char c : digits) {
      if (!ok) break;
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
      if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
      ok = v >= 0;
      cp = cp * (hex ? 16 : 10) + static_cast<uint64_t>(v);
    }
    if (!ok || cp > 0x10FFFF || !is_xml_char(static_cast<uint32_t>(cp))) {
      fail_from(start, cat("bad character reference '&", ref, ";'"));
    }
    return static_cast<uint32_t>(cp);
  }

  /// A quoted attribute value. As XML requires, literal tabs and line ends become spaces
  /// (a "\r\n" one space); &#10; and the like keep their character.
  std::string parse_attribute_value(const std::string& name) {
    if (at_end() || (data_[pos_] != '"' && data_[pos_] != '\'')) {
      fail(cat("expected a quoted value for attribute ", name, ", found ", found()));
    }
    const size_t start = pos_;
    const char quote = data_[pos_++];
    std::string value;
    for (;;) {
      if (at_end()) fail_from(start, cat("value of attribute ", name, " is not closed"));
      const char c = data_[pos_];
      if (c == quote) {
        ++pos_;
        return value;
      }
      if (c == '<') fail(cat("'<' in the value of attribute ", name, " (write &lt;)"));
      if (c == '&') {
        append_reference(&value);
        continue;
      }
      if (c == '\r' && pos_ + 1 < data_.size() && data_[pos_ + 1] == '\n') ++pos_;
      value += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
      ++pos_;
    }
  }

  /// Character data up to the next '<' or '&'. Line ends are normalized to "\n" as XML requires.
  void append_text(XmlElement* e) {
    const size_t start = pos_;
    while (!at_end() && data_[pos_] != '<' && data_[pos_] != '&') ++pos_;
    const std::string_view run = data_.substr(start, pos_ - start);
    note_text(e, start, run);
    for (size_t i = 0; i < run.size(); ++i) {
      if (run[i] == '\r') {
        e->text += '\n';
        if (i + 1 < run.size() && run[i + 1] == '\n') ++i;
      } else {
        e->text += run[i];
      }
    }
  }

  /// Remembers where `e` first has non-whitespace text (the schema check reports that line).
  void note_text(XmlElement* e, size_t start, std::string_view run) {
    if (e->text_line != 0) return;
    size_t i = 0;
    while (i < run.size() && is_xml_space(run[i])) ++i;
    if (i < run.size()) e->text_line = line_at(start + i);
  }

  /// At '<' of a start tag: the element, its attributes and (unless "/>") its content.
  void parse_element(XmlElement* e, int depth) {
    if (depth > kMaxDepth) fail(cat("elements nested deeper than ", kMaxDepth));
    const size_t start = pos_;
    e->line = line_at(pos_);
    ++pos_;
    e->name = parse_name("an element name after '<'");
    for (;;) {
      const bool space = skip_space();
      if (looking_at("/>")) {
        pos_ += 2;
        return;
      }
      if (looking_at(">")) {
        ++pos_;
        parse_content(e, start, depth);
        return;
      }
      if (at_end()) fail_from(start, cat("start tag <", e->name, " is not closed"));
      if (!space) fail(cat("expected whitespace, '>' or '/>' in <", e->name, ">, found ", found()));
      std::string key = parse_name("an attribute name");
      skip_space();
      expect('=', cat("after attribute ", key).c_str());
      skip_space();
      std::string value = parse_attribute_value(key);
      if (e->attribute(key) != nullptr)
        fail(cat("attribute ", key, " given twice in <", e->name, ">"));
      e->attributes.emplace_back(std::move(key), std::move(value));
    }
  }

  /// Everything between the start tag and the matching end tag, which it consumes.
  void parse_content(XmlElement* e, size_t start, int depth) {
    for (;;) {
      if (at_end()) {
        fail_from(start,
                  cat("<", e->name, "> is not closed (end of file before </", e->name, ">)"));
      }
      if (data_[pos_] == '&') {
        if (e->text_line == 0) e->text_line = line_at(pos_);  // a reference is text, even &#32;
        append_reference(&e->text);
      } else if (data_[pos_] != '<') {
        append_text(e);
      } else if (looking_at("</")) {
        pos_ += 2;
        const std::string name = parse_name("an element name after '</'");
        skip_space();
        expect('>', cat("to end </", name).c_str());
        if (name != e->name) {
          fail(cat("</", name, "> where </", e->name, "> was expected (<", e->name,
                   "> opened at line ", e->line, ")"));
        }
        return;
      } else if (looking_at("<!--")) {
        skip_past("<!--", "-->", "comment <!--");
      } else if (looking_at("<![CDATA[")) {
        const size_t cdata_start = pos_;
        const std::string_view cdata = skip_past("<![CDATA[", "]]>", "CDATA section");
        note_text(e, cdata_start, cdata);
        e->text += cdata;
      } else if (looking_at("<?")) {
        skip_past("<?", "?>", "processing instruction <?");
      } else if (looking_at("<!")) {
        fail("unexpected '<!' (inside elements only comments and CDATA may start with it)");
      } else {
        e->children.emplace_back();
        parse_element(&e->children.back(), depth + 1);
      }
    }
  }

  const std::string& path_;
  std::string_view data_;
  size_t pos_ = 0;
  size_t line_pos_ = 0;  ///< line_at() cache: byte position ...
  int64_t line_ = 1;     ///< ... and its line
};

// ---- MCScript -----------------------------------------------------------------------------------

/// Walks the tree of an MCScript file: <data> / <instance> / <text>, <questions> / <question> /
/// <answer>. Messages name the line of the element concerned.
class McscriptReader {
 public:
  McscriptReader(const std::string& path, McDataset* ds) : path_(path), ds_(ds) {}

  void read(const XmlElement& root) {
    if (root.name != "data") fail(root, cat("root element is <", root.name, ">, expected <data>"));
    no_text(root);
    for (const XmlElement& child : root.children) {
      if (child.name != "instance") unexpected(child, root, "<instance>");
      instance(child);
    }
  }

 private:
  [[noreturn]] void fail(const XmlElement& e, const std::string& what) const {
    fail_at(path_, e.line, what);
  }
  [[noreturn]] void unexpected(const XmlElement& child, const XmlElement& parent,
                               const char* expected) const {
    fail(child,
         cat("unexpected <", child.name, "> in <", parent.name, "> (expected ", expected, ")"));
  }

  void no_text(const XmlElement& e) const {
    if (e.text_line != 0) fail_at(path_, e.text_line, cat("unexpected text in <", e.name, ">"));
  }

  const std::string& attribute(const XmlElement& e, const char* key) const {
    const std::string* value = e.attribute(key);
    if (value == nullptr) fail(e, cat("<", e.name, "> has no ", key, " attribute"));
    return *value;
  }

  void instance(const XmlElement& inst) {
    const std::string& id = attribute(inst, "id");
    no_text(inst);
    const XmlElement* text = nullptr;
    const XmlElement* questions = nullptr;
    for (const XmlElement& child : inst.children) {
      const XmlElement** slot = child.name == "text"        ? &text
                                : child.name == "questions" ? &questions
                                                            : nullptr;
      if (slot == nullptr) unexpected(child, inst, "<text> and <questions>");
      if (*slot != nullptr)
        fail(child, cat("second <", child.name, "> in <instance id=\"", id, "\">"));
      *slot = &child;
    }
    if (text == nullptr) fail(inst, cat("<instance id=\"", id, "\"> has no <text>"));
    if (questions == nullptr) fail(inst, cat("<instance id=\"", id, "\"> has no <questions>"));
    if (!text->children.empty()) fail(text->children[0], "unexpected element inside <text>");
    no_text(*questions);
    for (const XmlElement& q : questions->children) {
      if (q.name != "question") unexpected(q, *questions, "<question>");
      question(q, id, text->text);
    }
  }

  void question(const XmlElement& q, const std::string& instance_id, const std::string& passage) {
    McExample ex;
    ex.id = cat(instance_id, "-", attribute(q, "id"));
    ex.origin = cat(path_, ":", q.line);
    ex.passage = passage;
    ex.question = attribute(q, "text");
    no_text(q);
    int correct = 0;
    for (const XmlElement& a : q.children) {
      if (a.name != "answer") unexpected(a, q, "<answer>");
      if (!a.children.empty()) fail(a.children[0], "unexpected element inside <answer>");
      no_text(a);
      const std::string& flag = attribute(a, "correct");
      if (flag != "True" && flag != "False") {
        fail(a, cat("correct=\"", flag, "\", expected \"True\" or \"False\""));
      }
      if (flag == "True") {
        ex.answer = static_cast<int>(ex.options.size());
        ++correct;
      }
      ex.options.push_back(attribute(a, "text"));
    }
    if (ex.options.size() != static_cast<size_t>(kMcscriptOptions)) {
      fail(q, cat("question ", ex.id, " has ", ex.options.size(), " answers, expected ",
                  kMcscriptOptions));
    }
    if (correct != 1) {
      fail(q, cat("question ", ex.id, " has ", correct, " answers with correct=\"True\", ",
                  "expected exactly one"));
    }
    ds_->examples.push_back(std::move(ex));
  }

  const std::string& path_;
  McDataset* ds_;
};

// ---- RACE ---------------------------------------------------------------------------------------

/// The *.txt files below `dir`, sorted by path so that the order does not depend on the file
/// system.
std::vector<fs::path> race_files(const std::string& dir) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) throw InputError(cat(dir, ": no such directory"));
  if (status.type() != fs::file_type::directory) {
    throw InputError(cat(dir, ": not a directory (RACE is read from a folder of .txt files, ",
                         "e.g. RACE/dev)"));
  }
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".txt") files.push_back(it->path());
  }
  if (ec) throw InputError(cat(dir, ": cannot list (", ec.message(), ")"));
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  BTL_REQUIRE(!files.empty(), dir, ": no .txt files below this directory");
  return files;
}

/// The questions of one RACE article file.
void read_race_article(const std::string& path, const std::string& fallback_id, const json& doc,
                       McDataset* ds) {
  const JsonReader r(path);
  const std::string passage = r.string(r.member(doc, "", "article"), "article");
  const json& questions = r.list(r.member(doc, "", "questions"), "questions");
  const json& options = r.list(r.member(doc, "", "options"), "options");
  const json& answers = r.list(r.member(doc, "", "answers"), "answers");
  if (options.size() != questions.size()) {
    r.fail("options", cat("has ", options.size(), " entries, questions has ", questions.size()));
  }
  if (answers.size() != questions.size()) {
    r.fail("answers", cat("has ", answers.size(), " entries, questions has ", questions.size()));
  }
  const auto id_it = doc.find("id");
  const std::string id = id_it == doc.end() ? fallback_id : r.string(*id_it, "id");

  for (size_t q = 0; q < questions.size(); ++q) {
    McExample ex;
    ex.id = cat(id, "-", q);
    ex.origin = cat(path, ":", key_index("questions", q));
    ex.passage = passage;
    ex.question = r.string(questions[q], key_index("questions", q));
    ex.options = r.strings(options[q], key_index("options", q), kRaceOptions);
    const std::string letter = r.string(answers[q], key_index("answers", q));
    ex.answer = letter_index(letter, kRaceOptions);
    if (ex.answer < 0) {
      r.fail(key_index("answers", q),
             cat("\"", letter, "\", expected ", letter_list(kRaceOptions)));
    }
    ds->examples.push_back(std::move(ex));
  }
}

}  // namespace

McDataset read_mctest(const std::string& tsv_path) {
  const fs::path tsv(tsv_path);
  BTL_REQUIRE(tsv.extension() == ".tsv", tsv_path, ": expected an MCTest .tsv file such as ",
              "mc160.dev.tsv (its answers are read from the .ans file beside it)");
  const std::string ans_path = fs::path(tsv).replace_extension(".ans").string();
  const std::string stories_data = read_text_file(tsv_path, "MCTest stories");
  const std::string answers_data = read_text_file(
      ans_path, cat("MCTest answers for ", tsv_path, ", looked for beside it with the same stem"));
  const auto stories = split_lines(stories_data);
  const auto answers = split_lines(answers_data);

  McDataset ds = start_dataset("mctest", tsv_path, false);
  for (size_t i = 0; i < stories.size(); ++i) {
    const auto n = static_cast<int64_t>(i + 1);
    if (i >= answers.size()) {
      fail_at(tsv_path, n,
              cat("story ", n, " has no answer line (", ans_path, " has ", answers.size(), ")"));
    }
    parse_mctest_story(tsv_path, n, stories[i], parse_mctest_answers(ans_path, n, answers[i]), &ds);
  }
  if (answers.size() > stories.size()) {
    fail_at(ans_path, static_cast<int64_t>(stories.size() + 1),
            cat("answer line without a story (", tsv_path, " has ", stories.size(), " lines)"));
  }
  require_questions(ds);
  return ds;
}

McDataset read_dream(const std::string& json_path) {
  const std::string data = read_text_file(json_path, "DREAM JSON file");
  const json doc = parse_json_file(json_path, data);
  const JsonReader r(json_path);
  r.list(doc, "");
  McDataset ds = start_dataset("dream", json_path, false);
  for (size_t d = 0; d < doc.size(); ++d) read_dream_dialogue(r, json_path, doc[d], d, &ds);
  require_questions(ds);
  return ds;
}

McDataset read_mcscript(const std::string& xml_path) {
  const std::string data = read_text_file(xml_path, "MCScript XML file");
  const XmlElement root = XmlParser(xml_path, data).parse_document();
  McDataset ds = start_dataset("mcscript", xml_path, false);
  McscriptReader(xml_path, &ds).read(root);
  require_questions(ds);
  return ds;
}

McDataset read_race(const std::string& dir) {
  McDataset ds = start_dataset("race", dir, true);
  for (const fs::path& file : race_files(dir)) {
    const std::string path = file.string();
    const std::string data = read_text_file(path, "RACE article");
    const json doc = parse_json_file(path, data);
    read_race_article(path, file.lexically_relative(dir).generic_string(), doc, &ds);
  }
  require_questions(ds);
  return ds;
}

McDataset read_mc_dataset(const std::string& path, const std::string& format) {
  if (format == "mctest") return read_mctest(path);
  if (format == "dream") return read_dream(path);
  if (format == "mcscript") return read_mcscript(path);
  if (format == "race") return read_race(path);
  throw InputError(cat(path, ": unknown multiple-choice format '", format,
                       "' (expected mctest, dream, mcscript or race)"));
}

}  // namespace bertology
