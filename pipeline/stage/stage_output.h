// Where a stage writes, and how: atomically, on rank 0, with a record that lets a rerun skip it.
//
//   StageOutput out = ctx.begin_output();      // inputs derived by the context (stage_context.h)
//   if (out.up_to_date()) return;              // same inputs as the finished run on disk
//   out.write("heads.csv", table.str());       // unique temporary name + rename, rank 0 only
//   out.finish({{"num_sequences", n}});        // stage.json last: the stage is complete
//
// Folder: <study.output_dir>/<model folder name>/<stage>/. stage.json records the inputs with the
// elapsed seconds, the rank count and the files written. A crash between write() and finish()
// leaves complete files but no stage.json, so the next run redoes the stage.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_table.h"

namespace bertology {

class StageContext;
struct Params;

class StageOutput {
 public:
  /// Decides on rank 0 (and tells every rank: collective) whether the record on disk has these
  /// `inputs`; removes a stale record. Made by StageContext::begin_output.
  StageOutput(const StageContext& ctx, nlohmann::json inputs);

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  /// True (on every rank) when stage.json exists, records the same inputs, and every file it lists
  /// is still there.
  bool up_to_date() const { return up_to_date_; }
  /// Writes dir()/name atomically (rank 0 only; other ranks return at once).
  void write(const std::string& name, const std::string& content) const;
  /// Writes a declared table (stage_table.h); InternalError when `table` is another stage's or its
  /// columns differ from the declaration.
  void write_table(const StageTable& spec, const CsvTable& table) const;
  /// Writes stage.json: inputs, `extra`, elapsed seconds, ranks and files (rank 0).
  void finish(nlohmann::json extra = nlohmann::json::object()) const;
  /// Seconds since construction.
  double seconds() const;

 private:
  const StageContext& ctx_;
  std::string dir_;
  nlohmann::json inputs_;
  bool up_to_date_ = false;
  mutable std::vector<std::string> written_;  ///< files write() wrote, recorded in stage.json
  std::chrono::steady_clock::time_point start_;
};

/// The folder every stage of this run writes under: <study.output_dir>/<model folder name>.
std::string model_output_dir(const Params& params);

}  // namespace bertology
