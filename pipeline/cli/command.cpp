#include "pipeline/cli/command.h"

#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

#include <cstdio>
#include <iostream>

#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/text.h"

namespace po = boost::program_options;

namespace bertology {

int cmd_tokenize(const std::vector<std::string>& args);
int cmd_encode(const std::vector<std::string>& args);
int cmd_config(const std::vector<std::string>& args);
int cmd_extract(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_cache(const std::vector<std::string>& args);
int cmd_slurm(const std::vector<std::string>& args);
int cmd_convert(const std::vector<std::string>& args);
int cmd_mcrc(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);
int cmd_derive(const std::vector<std::string>& args);
int cmd_view(const std::vector<std::string>& args);

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"tokenize", "WordPiece-tokenize text exactly as Hugging Face BertTokenizer (JSON lines)", cmd_tokenize},
      {"encode", "run the encoder on sentences; write hidden states and attention to HDF5", cmd_encode},
      {"extract", "extract hidden states / attention of a corpus into the activation cache (MPI, resumable)", cmd_extract},
      {"run", "extract (or reuse the cache), then run the stages the config lists", cmd_run},
      {"cache", "ls | verify | gc: list, check and clean the activation cache", cmd_cache},
      {"slurm", "render a study (or a sweep over models) into an sbatch job graph; --submit it", cmd_slurm},
      {"compare", "several models' headline tables side by side (study or campaign result folders) -> compare.md", cmd_compare},
      {"view", "attention viewer: one self-contained HTML page from a cache entry or an encode file", cmd_view},
      {"derive", "random-init | no-positions: the papers' control checkpoints as model folders", cmd_derive},
      {"convert", "convert Penn Treebank trees to CoNLL-X dependencies (basic Stanford or Penn2Malt)", cmd_convert},
      {"mcrc", "multiple-choice reading comprehension: attacked test sets as JSON, baselines (Si et al. 2019)", cmd_mcrc},
      {"config", "list every config key (type, default, meaning) or validate and print CONFIG files", cmd_config},
  };
  return table;
}

namespace {
void print_main_help() {
  std::cout << "bertology " << BERTOLOGY_VERSION
            << ": BERT interpretability studies at cluster scale\n\n"
               "usage: bertology <command> [options]     (bertology <command> --help for details)\n\n"
               "commands:\n";
  for (const auto& c : commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
  std::cout << "\nexit codes: 0 ok, 1 internal error, 2 bad input (config, data, checkpoint, usage),\n"
               "            3 corrupt cache found by `cache verify`, 75 stopped by SIGTERM/SIGUSR1 (requeue and rerun)\n";
}
}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      print_main_help();
      return args.empty() ? kExitInput : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "bertology " << BERTOLOGY_VERSION << "\n";
      return kExitOk;
    }
    for (const auto& c : commands())
      if (args[0] == c.name) return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
    throw InputError(cat("unknown command '", args[0], "' (bertology --help lists them)"));
  } catch (const InputError& e) {
    std::cerr << "bertology: error: " << e.what() << std::endl;
    return kExitInput;
  } catch (const po::error& e) {
    std::cerr << "bertology: error: " << e.what() << std::endl;
    return kExitInput;
  } catch (const std::exception& e) {
    // LibTorch errors carry a multi-line backtrace; keep the first line.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    std::cerr << "bertology: internal error: " << what << std::endl;
    return kExitInternal;
  }
}

void add_config_options(po::options_description& desc, ConfigArgs& args) {
  desc.add_options()
      ("set", po::value<std::vector<std::string>>(&args.sets)->composing(),
       "override a config key: --set section.key=value (repeatable, applied after the files)")
      ("dump-config", po::bool_switch(&args.dump), "print the effective merged config and exit");
}

bool parse_command_line(const std::string& command, const std::vector<std::string>& args,
                        const po::options_description& desc, const char* positional_name, const char* usage,
                        po::variables_map& vm) {
  po::options_description all = desc;
  bool help = false;
  all.add_options()("help,h", po::bool_switch(&help), "show this help");
  po::positional_options_description pos;
  if (positional_name) pos.add(positional_name, -1);
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(cat(command, ": ", e.what(), " (bertology ", command, " --help)"));
  }
  if (help) {
    std::cout << "usage: bertology " << command << " " << usage << "\n\n" << all << "\n";
    return false;
  }
  return true;
}

std::vector<std::string> read_input_lines(const std::vector<std::string>& texts, const std::string& input_file,
                                          std::vector<std::string>* origins) {
  BTL_REQUIRE(texts.empty() != input_file.empty(), "give either --text (one or more) or --input FILE");
  std::vector<std::string> lines;
  if (!texts.empty()) {
    for (size_t i = 0; i < texts.size(); ++i) {
      lines.push_back(texts[i]);
      if (origins) origins->push_back(cat("--text #", i + 1));
    }
    return lines;
  }
  const std::string data = read_file_bytes(input_file, "an input file (one sentence per line)");
  for (std::string_view line : split_lines(data)) {
    lines.emplace_back(line);
    if (origins) origins->push_back(cat(input_file, ":", lines.size()));
  }
  BTL_REQUIRE(!lines.empty(), input_file, ": empty input (no lines)");
  return lines;
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace bertology
