// Small text helpers over std::string_view: trimming, splitting into fields and into lines.
//
// Nothing here allocates strings: results are views into the argument, valid as long as the
// bytes they view. Everything works on bytes; "blank" means the ASCII space and tab only (a
// UTF-8 no-break space or a "\r" is content), so callers decide about anything else explicitly.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace bertology {

/// The characters trim(), is_blank() and split_whitespace() treat as blank: space and tab.
inline constexpr std::string_view kBlanks = " \t";
/// Everything C's isspace() accepts in the "C" locale, which `std::istream >>` skips.
inline constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";

/// `s` without leading and trailing spaces and tabs ("" when nothing else is left).
std::string_view trim(std::string_view s);

/// True when `s` is empty or holds only spaces and tabs.
bool is_blank(std::string_view s);

/// The pieces of `s` between `sep` characters, empty pieces included: "a,,b" -> "a", "", "b";
/// "" -> one empty piece; "a," -> "a", "".
std::vector<std::string_view> split(std::string_view s, char sep);

/// The non-empty pieces of `s` between runs of the characters in `separators` (space and tab
/// unless given): "  a \t b " -> "a", "b"; "" or only separators -> no pieces. Pass " " for
/// space-aligned columns where a tab is content, or kAsciiWhitespace to split as `std::istream >>`
/// does.
std::vector<std::string_view> split_whitespace(std::string_view s, std::string_view separators = kBlanks);

/// `data` without one leading UTF-8 byte-order mark (EF BB BF; some Windows editors write one).
std::string_view strip_utf8_bom(std::string_view data);

/// Walks in-memory text line by line without copying. "\n" ends a line and is not part of it; one
/// "\r" at the end of a line is dropped too, so Windows files read like Unix ones; a last line
/// without "\n" still counts, and a final "\n" does not start an extra empty line.
class LineSplitter {
 public:
  explicit LineSplitter(std::string_view data) : data_(data) {}

  /// Sets `*line` to the next line; false at the end of the data.
  bool next(std::string_view* line);

  /// 1-based number of the line next() returned last (0 before the first call).
  int64_t line_number() const { return line_number_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int64_t line_number_ = 0;
};

/// All lines of `data` as LineSplitter yields them: "a\r\nb\n" -> "a", "b"; "a\nb" -> "a", "b";
/// "" -> none; "\n" -> one empty line. Line L (1-based) is element L - 1.
std::vector<std::string_view> split_lines(std::string_view data);

}  // namespace bertology
