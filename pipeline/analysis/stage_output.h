// Where a stage writes, and how: atomically, on rank 0, with a record that lets a rerun skip it.
//
//   StageOutput out(ctx, "dependency_heads", {{"cache", entry_digest}, {"min_count", 100}});
//   if (out.up_to_date()) return 0;           // same inputs as the finished run on disk
//   out.write("heads.csv", table.str());       // tmp name + rename, rank 0 only
//   out.finish({{"num_sequences", n}});        // stage.json last: the stage is complete
//
// Folder: <study.output_dir>/<model folder name>/<stage>/. `inputs` is everything the results
// depend on (cache entry digests, stage parameters, bertology's version); stage.json records it
// with the elapsed seconds. A crash between write() and finish() leaves complete files but no
// stage.json, so the next run redoes the stage.
#pragma once

#include <nlohmann/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "pipeline/stage/stage_registry.h"

namespace bertology {

class StageOutput {
 public:
  StageOutput(const StageContext& ctx, std::string stage, nlohmann::json inputs);

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  /// True (on every rank) when stage.json exists, records the same inputs, and every file it lists
/// is still there.
  bool up_to_date() const { return up_to_date_; }
  /// Writes dir()/name atomically (rank 0 only; other ranks return at once).
  void write(const std::string& name, const std::string& content) const;
  /// Writes stage.json: inputs, `extra`, bertology version and elapsed seconds (rank 0).
  void finish(nlohmann::json extra = nlohmann::json::object()) const;
  /// Seconds since construction.
  double seconds() const;

 private:
  const StageContext& ctx_;
  std::string stage_, dir_;
  nlohmann::json inputs_;
  bool up_to_date_ = false;
  mutable std::vector<std::string> written_;  ///< files write() wrote, recorded in stage.json
  std::chrono::steady_clock::time_point start_;
};

/// The folder every stage of this run writes under: <study.output_dir>/<model folder name>.
std::string model_output_dir(const Params& params);

/// A cache entry's directory name (its key digest prefix), recorded in stage.json inputs.
std::string entry_name(const CacheEntry& entry);

}  // namespace bertology
