// A table one stage writes and another stage (a report) reads, declared once so that the file and
// column names exist in one place:
//
//   // pipeline/analysis/clark_tables.h (the Clark family's shared folder)
//   inline const StageTable kDependencyRelations{"dependency_heads", "relations.csv", {"relation", "count", ...}};
//   // the writer:  CsvTable t(kDependencyRelations.columns); ...; out.write_table(kDependencyRelations, t);
//   // the reader:  const CsvFile f = ctx.read_table(kDependencyRelations);   // columns checked, input recorded
#pragma once

#include <string>
#include <vector>

namespace bertology {

struct StageTable {
  std::string stage;                 ///< the stage that writes it ("dependency_heads")
  std::string file;                  ///< its file in that stage's folder ("relations.csv")
  std::vector<std::string> columns;  ///< the header, in order; empty for a JSON file (read_json)
};

}  // namespace bertology
