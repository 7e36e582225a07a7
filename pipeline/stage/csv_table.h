// Small CSV tables for stage outputs: a header row, then rows of cells. Cells are written as
// given (our cells never hold commas, quotes or newlines: a cell that does is a bug, checked).
#pragma once

#include <string>
#include <vector>

namespace bertology {

class CsvTable {
 public:
  explicit CsvTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  /// Appends a row; InternalError unless it has one cell per column and no cell needs quoting.
  void add(std::vector<std::string> cells);
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  std::string str() const;
  /// Parses text written by str() (for the report stage); `origin` names the file in errors.
  static CsvTable parse(const std::string& text, const std::string& origin);
  /// Column index by name; InputError naming `origin` when absent.
  size_t column(const std::string& name, const std::string& origin) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

/// A CSV file written by a stage, read back by a report stage: cells by row and column name.
struct CsvFile {
  CsvTable csv{{}};
  std::string origin;  ///< the path, for errors
  /// Reads and parses `path`; InputError naming it when unreadable or malformed.
  static CsvFile read(const std::string& path);
  /// The cell of `row` in `column`; InputError naming the file when the column is absent.
  const std::string& at(size_t row, const std::string& column) const;
  /// at() as a number (std::atof: "nan" is NaN, an empty cell 0).
  double number(size_t row, const std::string& column) const;
  size_t size() const { return csv.rows().size(); }
};

/// Fixed-point text of a value with `decimals` digits ("nan" for NaN).
std::string fixed(double value, int decimals = 4);

}  // namespace bertology
