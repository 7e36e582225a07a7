// The XML-subset parser. See xml_subset.h for the subset.
#include "pipeline/io/xml_subset.h"

#include <algorithm>
#include <cstdio>

#include "pipeline/util/error.h"

namespace bertology {
namespace {

[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what) {
  throw InputError(cat(path, ":", line, ": ", what));
}

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

/// A recursive-descent parser for the XML subset in xml_subset.h, building the whole tree (the
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

}  // namespace

XmlElement parse_xml_subset(const std::string& path, std::string_view data) {
  return XmlParser(path, data).parse_document();
}

}  // namespace bertology
