// What the report stages of the studies share (clark_report, probing_report): which stage
// records they depend on, the figure links, and writing report.md and run.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bertology {

/// Markdown image links to the figures among `pngs` that exist in <model_dir>/figures/.
std::string figure_links(const std::string& model_dir, const std::vector<std::string>& pngs);

/// Writes <model_dir>/report.md and <model_dir>/run.json: `run` plus the bertology version and,
/// under "stages", the stage.json of each listed stage that ran. Both atomically.
void write_report_files(const std::string& model_dir, const std::string& markdown, nlohmann::json run,
                        const std::vector<std::string>& stages);

}  // namespace bertology
