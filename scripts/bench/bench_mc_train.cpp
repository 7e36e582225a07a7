// Multiple-choice fine-tuning throughput of bertology's trainer (the code `bertology run` uses),
// one or several MPI ranks.
//
//   [mpirun -np R] build/bench_mc_train --model DIR --data FILE --format mctest [--threads N]
//       [--batch 4] [--max-length 320] [--epochs 3] [--batches-out FILE] [--device cpu|cuda]
//       [--dtype float32|bfloat16|float16]   (half types: mixed precision over fp32 master weights)
//
// Trains `epochs` epochs over the data (dev-free, no periodic checkpoints); epoch 1 is the
// warm-up and the later epochs are timed (their steps only: evaluation and checkpoints between
// epochs are outside the clock). Prints one JSON line {"what", "ranks", "threads",
// "tokens_per_s", ...}. --batches-out writes the timed epochs' batches (question indices) so
// that the Hugging Face reference (hf_mc_train.py) trains on exactly the same batches.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/mcrc/mc_readers.h"
#include "pipeline/mcrc/mc_trainer.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/util/heap_policy.h"

using namespace bertology;
namespace po = boost::program_options;

int main(int argc, char** argv) {
  std::string model_dir, data, format = "mctest", batches_out, device = "cpu", dtype = "float32";
  int threads = 2, epochs = 3, max_length = 320;
  int64_t batch = 4;
  po::options_description desc("bench_mc_train");
  desc.add_options()("model", po::value(&model_dir)->required())("data", po::value(&data)->required())(
      "format", po::value(&format))("threads", po::value(&threads))("batch", po::value(&batch))(
      "max-length", po::value(&max_length))("epochs", po::value(&epochs))("batches-out", po::value(&batches_out))(
      "device", po::value(&device))("dtype", po::value(&dtype));
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);

  keep_freed_heap_for_reuse();  // as the bertology binary does
  MpiContext mpi;
  set_torch_threads(threads);
  const McDataset dataset = read_mc_dataset(data, format);
  const auto tokenizer = BertTokenizer::from_model_dir(model_dir);
  const auto features = encode_mc_examples(tokenizer, dataset.examples, max_length);
  torch::manual_seed(0);
  LoadOptions load;
  load.device = device;  // the device rule: "cuda" = GPU (local rank mod visible GPUs)
  auto model = load_mc_model(model_dir, load).model;

  McTrainOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.micro_batch = batch;  // no accumulation: one forward per rank per step
  o.seed = 1;
  o.compute_dtype = dtype;
  // One folder for all ranks (rank 0's name): the trainer's checkpoints live on a shared path.
  const std::filesystem::path scratch = mpi.broadcast(
      (std::filesystem::temp_directory_path() / ("bertology_bench_mc_" + std::to_string(::getpid()))).string());
  McTrainPaths paths{(scratch / "state").string(), (scratch / "best").string(), model_dir, "bench"};
  if (mpi.rank() == 0) std::filesystem::remove_all(scratch);
  mpi.barrier();
  const auto result = train_mc_model(model, features, {}, tokenizer.pad_id(), o, paths, mpi);
  double seconds = 0;
  int64_t tokens = 0;
  for (size_t e = 1; e < result.epochs.size(); ++e) {
    seconds += result.epochs[e].seconds;
    tokens += result.epochs[e].tokens;
  }
  if (mpi.rank() == 0) {
    std::printf("{\"what\": \"bertology_mc_train\", \"device\": \"%s\", \"dtype\": \"%s\", \"ranks\": %d, \"threads\": %d, "
                "\"batch\": %lld, \"timed_steps\": %lld, "
                "\"tokens\": %lld, \"seconds\": %.3f, \"tokens_per_s\": %.1f, \"allreduce\": \"%s\"}\n",
                model->classifier->weight.device().str().c_str(), dtype.c_str(), mpi.size(), at::get_num_threads(),
                static_cast<long long>(batch),
                static_cast<long long>(result.steps - result.steps / epochs), static_cast<long long>(tokens), seconds,
                tokens / seconds, result.allreduce_backend.c_str());
    if (!batches_out.empty()) {
      nlohmann::json batches = nlohmann::json::array();
      const int64_t n = static_cast<int64_t>(features.size());
      for (int e = 1; e < epochs; ++e) {
        const auto order = mc_epoch_order(n, o.seed, e);
        for (int64_t b = 0; b < n; b += batch)
          batches.push_back(std::vector<int64_t>(order.begin() + b, order.begin() + std::min(n, b + batch)));
      }
      std::ofstream(batches_out) << nlohmann::json{{"max_length", max_length}, {"batches", batches}}.dump() << "\n";
    }
    std::filesystem::remove_all(scratch);
  }
  return 0;
}
