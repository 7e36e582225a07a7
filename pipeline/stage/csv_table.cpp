#include "pipeline/stage/csv_table.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "pipeline/util/files.h"
#include "pipeline/util/error.h"

namespace bertology {

void CsvTable::add(std::vector<std::string> cells) {
  if (cells.size() != columns_.size())
    throw InternalError(cat("CSV row with ", cells.size(), " cells for ", columns_.size(), " columns"));
  for (const auto& c : cells)
    if (c.find_first_of(",\"\n\r") != std::string::npos) throw InternalError(cat("CSV cell needs quoting: ", c));
  rows_.push_back(std::move(cells));
}

std::string CsvTable::str() const {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
    out += "\n";
  };
  line(columns_);
  for (const auto& r : rows_) line(r);
  return out;
}

CsvTable CsvTable::parse(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  auto split = [](const std::string& s) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (;;) {
      const size_t comma = s.find(',', start);
      cells.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return cells;
  };
  BTL_REQUIRE(std::getline(in, line) && !line.empty(), origin, ": empty CSV file");
  CsvTable table(split(line));
  int64_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto cells = split(line);
    BTL_REQUIRE(cells.size() == table.columns_.size(), origin, ":", number, ": ", cells.size(), " cells, expected ",
                table.columns_.size());
    table.rows_.push_back(std::move(cells));
  }
  return table;
}

size_t CsvTable::column(const std::string& name, const std::string& origin) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == name) return i;
  throw InputError(cat(origin, ": no column '", name, "'"));
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  // "-0.0000" reads as a sign where there is none.
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

CsvFile CsvFile::read(const std::string& path) { return {CsvTable::parse(read_file_bytes(path, "a table"), path), path}; }

const std::string& CsvFile::at(size_t row, const std::string& column) const {
  return csv.rows().at(row)[csv.column(column, origin)];
}

double CsvFile::number(size_t row, const std::string& column) const { return std::atof(at(row, column).c_str()); }

}  // namespace bertology
