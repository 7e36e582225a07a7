#include "pipeline/mcrc/mc_study.h"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/mcrc/mc_readers.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"

namespace bertology {
namespace fs = std::filesystem;

McStudyData load_mc_study_data(const McrcParams& p, McSets sets) {
  BTL_REQUIRE(!p.train.empty(), "mcrc.train: not set (the multiple-choice training set)");
  BTL_REQUIRE(!p.test.empty(), "mcrc.test: not set (the multiple-choice test set)");
  McStudyData d;
  if (sets == McSets::All) {
    d.train = read_mc_dataset(p.train, p.format);
    if (!p.dev.empty()) d.dev = read_mc_dataset(p.dev, p.format);
  }
  d.test = read_mc_dataset(p.test, p.format);
  d.name = !p.name.empty() ? p.name : fs::path(p.train).stem().string();
  const McDataset& first = sets == McSets::All ? d.train : d.test;
  const size_t options = first.examples.at(0).options.size();
  for (const McDataset* set : {&d.train, &d.dev, &d.test})
    for (const auto& ex : set->examples)
      BTL_REQUIRE(ex.options.size() == options, ex.origin, ": question ", ex.id, " has ", ex.options.size(),
                  " options but the ", sets == McSets::All ? "training" : "test", " set's have ", options,
                  " (one count per study)");
  return d;
}

std::string mc_dataset_digest(const McDataset& data) {
  Sha256 h;
  auto add = [&](const std::string& s) {
    const uint64_t n = s.size();
    h.update(&n, sizeof(n));
    h.update(s.data(), s.size());
  };
  for (const auto& ex : data.examples) {
    add(ex.id);
    add(ex.passage);
    add(ex.question);
    for (const auto& o : ex.options) add(o);
    add(std::to_string(ex.answer));
  }
  return h.final_hex();
}

std::string mc_run_key(const Params& p, const std::string& regime, const std::string& model_sha256,
                       const McStudyData& data) {
  const McrcParams& m = mcrc_section().of(p);
  const nlohmann::json key = {
      {"what", "bertology mcrc fine-tuning run, format 1"},
      {"model_weights_sha256", model_sha256},
      {"train", mc_dataset_digest(data.train)},
      {"dev", mc_dataset_digest(data.dev)},
      {"regime", regime},
      {"max_length", m.max_length},
      {"epochs", m.training.epochs},
      {"batch_size", m.training.batch_size},
      {"lr", m.training.lr},
      {"warmup", m.training.warmup},
      {"weight_decay", m.training.weight_decay},
      {"adam_eps", m.training.adam_eps},
      {"max_grad_norm", m.training.max_grad_norm},
      {"dropout", m.dropout},
      {"seed", p.runtime.seed},
      {"dtype", p.model.dtype}};
  // micro_batch, checkpoint_every, eval_batch, threads and ranks change how, not what, is computed.
  return sha256_hex(key.dump().data(), key.dump().size());
}

std::string mc_run_dir(const Params& p, const std::string& run_key) {
  return (fs::path(p.cache.dir) / "mcrc" / run_key.substr(0, 16)).string();
}

}  // namespace bertology
