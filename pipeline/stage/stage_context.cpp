#include "pipeline/stage/stage_context.h"

#include <cmath>
#include <filesystem>
#include <ostream>

#include "pipeline/cache/extract.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "pipeline/util/heap_policy.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/stop_signal.h"

namespace fs = std::filesystem;

namespace bertology {

std::string entry_name(const CacheEntry& entry) {
  // The request, not the entry that happens to serve it: every covering entry of the same base holds
  // the same bytes for it, so a union entry or a reused superset does not make a stage rerun.
  std::string name = entry.request_digest.empty() ? fs::path(entry.dir).filename().string() : entry.request_digest.substr(0, 16);
  if (entry.read_max_length > 0) name += cat(" max_length ", entry.read_max_length);
  return name;
}

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd m;
  if (values.empty()) return m;
  for (double v : values) m.mean += v / static_cast<double>(values.size());
  if (values.size() > 1) {
    double ss = 0;
    for (double v : values) ss += (v - m.mean) * (v - m.mean);
    m.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  return m;
}

StageContext::StageContext(const StageInfo& info, const Params& params, const CacheEntry& cache, const MpiContext& mpi,
                           std::ostream& out)
    : params(params), mpi(mpi), out(out), info_(info), cache_(cache) {}

const CacheEntry& StageContext::cache() {
  BTL_CHECK(info_.needs_cache, "stage ", name(), " reads the run's cache entry but is registered with needs_cache = false");
  if (!survey_) read_inputs_["cache"] = entry_name(cache_);
  return cache_;
}

CacheEntry StageContext::extract(const std::string& label, const Params& variant) {
  if (survey_) {
    survey_->push_back({name(), label, variant});
    return CacheEntry{};
  }
  const std::string why = cat(name(), ": ", label);
  if (mpi.rank() == 0) out << why << ": activations of " << variant.corpus.path << "\n" << std::flush;
  const ExtractionOutcome outcome = run_extraction(variant, mpi, false, out);
  release_freed_heap();  // the model and batches of the extraction: not part of the stage's memory
  if (outcome.stopped) throw StopRequested{};
  BTL_REQUIRE(outcome.complete, outcome.entry.dir, ": extraction for ", why, " ended with unfinished chunks (see logs/)");
  read_inputs_[label] = entry_name(outcome.entry);
  return outcome.entry;
}

std::string StageContext::corpus_file(const std::string& stem, const std::string& extension,
                                      const std::string& content) const {
  const std::string path = (fs::path(params.cache.dir) / "corpora" /
                            cat(stem, "-", sha256_hex(content.data(), content.size()).substr(0, 16), extension)).string();
  if (mpi.rank() == 0 && !fs::exists(path)) {
    fs::create_directories(fs::path(path).parent_path());
    write_file_atomic(path, content);
  }
  mpi.barrier();
  return path;
}

std::string StageContext::model_dir() const { return model_output_dir(params); }
std::string StageContext::output_dir() const { return (fs::path(model_dir()) / name()).string(); }

namespace {
std::string record_path(const std::string& model_dir, const std::string& stage) {
  return (fs::path(model_dir) / stage / "stage.json").string();
}
}  // namespace

bool StageContext::stage_ran(const std::string& stage) {
  if (survey_) throw SurveyEnd{};
  const std::string record = record_path(model_dir(), stage);
  const bool ran = fs::exists(record);
  const std::string key = stage + "/stage.json";
  if (output_begun_) {
    // After begin_output a stage may only read what it recorded before (the record is its input).
    BTL_CHECK(read_inputs_.contains(key), name(), ": reads ", stage, "'s output after begin_output without recording it first");
  } else {
    read_inputs_[key] = ran ? sha256_file(record) : "";
  }
  return ran;
}

nlohmann::json StageContext::read_record(const std::string& stage) {
  if (!stage_ran(stage)) return nullptr;
  return nlohmann::json::parse(read_file_bytes(record_path(model_dir(), stage), "a stage record"));
}

CsvFile StageContext::read_table(const StageTable& table) {
  const std::string path = (fs::path(model_dir()) / table.stage / table.file).string();
  BTL_REQUIRE(stage_ran(table.stage), path, ": stage ", table.stage, " has not finished for this model (add it to stages: before ",
              name(), ")");
  CsvFile file = CsvFile::read(path);
  for (const auto& column : table.columns) file.csv.column(column, path);  // InputError naming the file
  return file;
}

nlohmann::json StageContext::read_json(const StageTable& file) {
  const std::string path = (fs::path(model_dir()) / file.stage / file.file).string();
  BTL_REQUIRE(stage_ran(file.stage), path, ": stage ", file.stage, " has not finished for this model (add it to stages: before ",
              name(), ")");
  try {
    return nlohmann::json::parse(read_file_bytes(path, "a stage output"));
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(cat(path, ": malformed JSON (", e.what(), ")"));
  }
}

StageOutput StageContext::begin_output(nlohmann::json extra) {
  if (survey_) throw SurveyEnd{};
  BTL_CHECK(!output_begun_, name(), ": begin_output called twice");
  output_begun_ = true;
  nlohmann::json inputs = {{"stage", name()}, {"bertology_version", BERTOLOGY_VERSION}, {"read", read_inputs_}};
  nlohmann::json config = nlohmann::json::object();
  for (const ConfigSectionBase* section : info_.sections) config[section->name()] = section->values_json(params);
  inputs["config"] = config;
  inputs["run"] = {{"seed", params.runtime.seed},
                   {"threads", params.model.threads},
                   {"device", params.model.device},
                   {"dtype", params.model.dtype}};
  for (auto& [key, value] : extra.items()) inputs[key] = value;
  return StageOutput(*this, std::move(inputs));
}

std::vector<int64_t> StageContext::my_share(int64_t n) const {
  std::vector<int64_t> items;
  for (int64_t i = mpi.rank(); i < n; i += mpi.size()) items.push_back(i);
  return items;
}

void StageContext::for_my_share(int64_t n, const std::function<void(int64_t)>& work) const {
  if (survey_) throw SurveyEnd{};
  for (int64_t i = mpi.rank(); i < n; i += mpi.size()) {
    if (stop_requested()) throw StopRequested{};
    work(i);
  }
}

std::vector<double> StageContext::run_job_grid(int64_t jobs, int64_t width,
                                               const std::function<void(int64_t, double*)>& run) const {
  std::vector<double> table(static_cast<size_t>(jobs * width), 0.0);
  for_my_share(jobs, [&](int64_t j) { run(j, table.data() + j * width); });
  mpi.allreduce_sum(table);
  return table;
}

}  // namespace bertology
