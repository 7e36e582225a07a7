#include "pipeline/util/text.h"

namespace bertology {

std::string_view trim(std::string_view s) {
  const size_t first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(kBlanks);
  return s.substr(first, last - first + 1);
}

bool is_blank(std::string_view s) { return s.find_first_not_of(kBlanks) == std::string_view::npos; }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> pieces;
  for (size_t start = 0;;) {
    const size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      pieces.push_back(s.substr(start));
      return pieces;
    }
    pieces.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string_view> split_whitespace(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> pieces;
  for (size_t start = s.find_first_not_of(separators); start != std::string_view::npos;) {
    const size_t end = s.find_first_of(separators, start);
    pieces.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    start = s.find_first_not_of(separators, end);
  }
  return pieces;
}

std::string_view strip_utf8_bom(std::string_view data) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (data.substr(0, kBom.size()) == kBom) data.remove_prefix(kBom.size());
  return data;
}

bool LineSplitter::next(std::string_view* line) {
  if (pos_ >= data_.size()) return false;
  size_t end = data_.find('\n', pos_);
  if (end == std::string_view::npos) end = data_.size();
  std::string_view l = data_.substr(pos_, end - pos_);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  pos_ = end + 1;
  ++line_number_;
  *line = l;
  return true;
}

std::vector<std::string_view> split_lines(std::string_view data) {
  std::vector<std::string_view> lines;
  LineSplitter splitter(data);
  for (std::string_view line; splitter.next(&line);) lines.push_back(line);
  return lines;
}

}  // namespace bertology
