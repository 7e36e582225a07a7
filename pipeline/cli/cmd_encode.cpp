// bertology encode: the quick-look command. Options in, cache/encode_file.h does the work (the
// HDF5 layout is documented there), a three-line report out.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>

#include "pipeline/cache/encode_file.h"
#include "pipeline/cli/command.h"
#include "pipeline/cli/command_config.h"
#include "pipeline/util/error.h"
#include "pipeline/util/exit_codes.h"

namespace po = boost::program_options;

namespace bertology {

int cmd_encode(const std::vector<std::string>& args) {
  ConfigArgs config_args;
  std::string model, input, out_path, dtype = "float16";
  std::vector<std::string> texts;
  bool no_attention = false;
  int batch_size = 16, threads = 0;
  po::options_description desc("encode options");
  desc.add_options()
      ("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional)")
      ("model", po::value<std::string>(&model), "checkpoint folder; = --set model.path=DIR")
      ("text", po::value<std::vector<std::string>>(&texts)->composing(), "a sentence (repeatable)")
      ("input", po::value<std::string>(&input), "a file with one sentence per line")
      ("out", po::value<std::string>(&out_path), "output HDF5 file")
      ("dtype", po::value<std::string>(&dtype)->default_value("float16"), "stored precision: float32 | float16")
      ("no-attention", po::bool_switch(&no_attention), "do not store attention probabilities")
      ("batch-size", po::value<int>(&batch_size)->default_value(16), "sentences per forward pass")
      ("threads", po::value<int>(&threads), "LibTorch threads; = --set model.threads=N");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("encode", args, desc, "config",
                          "[CONFIG...] --model DIR (--text TEXT ... | --input FILE) --out OUT.h5 "
                          "[--dtype float32|float16] [--no-attention]",
                          vm))
    return kExitOk;
  if (!model.empty()) config_args.sets.push_back("model.path=" + model);
  if (vm.count("threads")) config_args.sets.push_back("model.threads=" + std::to_string(threads));
  std::string effective_config;
  const Params params = load_params(config_args, &effective_config);
  if (config_args.dump) return kExitOk;

  BTL_REQUIRE(!out_path.empty(), "encode: --out OUT.h5 is required");
  BTL_REQUIRE(dtype == "float32" || dtype == "float16", "encode: --dtype must be float32 or float16, got '", dtype, "'");
  BTL_REQUIRE(batch_size >= 1, "encode: --batch-size must be >= 1");

  EncodeFileParams p;
  p.model = params.model;
  p.tokenizer = params.tokenizer;
  p.lines = read_input_lines(texts, input, &p.origins);
  p.out_path = out_path;
  p.dtype = dtype;
  p.attention = !no_attention;
  p.batch_size = batch_size;
  p.effective_config = effective_config;
  const EncodeFileSummary s = encode_file(p);

  const double mb = static_cast<double>(s.file_bytes) / (1 << 20);
  std::printf(
      "encoded %zu sentences (%zu wordpieces) with %s: %d layers + embeddings, d=%d, %d heads\n"
      "  load %.2f s, encode+write %.2f s (%.0f wordpieces/s, %d threads)\n"
      "  wrote %s (%.2f MiB, %s%s)\n",
      static_cast<size_t>(s.sentences), static_cast<size_t>(s.wordpieces), params.model.path.c_str(), s.num_layers,
      s.hidden_size, s.num_heads, s.load_seconds, s.encode_seconds,
      static_cast<size_t>(s.wordpieces) / std::max(s.encode_seconds, 1e-9), params.model.threads, out_path.c_str(),
      mb, dtype.c_str(), no_attention ? ", no attention" : ", with attention");
  return kExitOk;
}

}  // namespace bertology
