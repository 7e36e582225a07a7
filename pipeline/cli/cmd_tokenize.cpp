// bertology tokenize: prints one JSON object per input line, {"text","tokens","ids","word_ids"}.
#include <boost/program_options.hpp>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/cli/command_config.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/exit_codes.h"
#include "pipeline/util/text.h"

namespace po = boost::program_options;

namespace bertology {

namespace {
/// The words of a --words line, as `std::istream >>` reads them (any ASCII whitespace separates).
std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  for (std::string_view w : split_whitespace(line, kAsciiWhitespace)) words.emplace_back(w);
  return words;
}
}  // namespace

int cmd_tokenize(const std::vector<std::string>& args) {
  ConfigArgs config_args;
  std::string model, input;
  std::vector<std::string> texts;
  bool words_mode = false, no_special = false;
  po::options_description desc("tokenize options");
  desc.add_options()
      ("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional)")
      ("model", po::value<std::string>(&model), "checkpoint folder (vocab.txt, tokenizer_config.json); = --set model.path=DIR")
      ("text", po::value<std::vector<std::string>>(&texts)->composing(), "a text to tokenize (repeatable)")
      ("input", po::value<std::string>(&input), "a file with one text per line")
      ("words", po::bool_switch(&words_mode), "input lines are whitespace-separated words, tokenized word by word")
      ("no-special", po::bool_switch(&no_special), "do not add [CLS] and [SEP]");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("tokenize", args, desc, "config",
                          "[CONFIG...] --model DIR (--text TEXT ... | --input FILE) [--words]", vm))
    return kExitOk;
  if (!model.empty()) config_args.sets.push_back("model.path=" + model);
  const Params params = load_params(config_args);
  if (config_args.dump) return kExitOk;

  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(params.model.path);
  std::vector<std::string> origins;
  const auto lines = read_input_lines(texts, input, &origins);
  const bool add_special = params.tokenizer.add_special_tokens && !no_special;

  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    Encoding enc;
    try {
      enc = words_mode ? tokenizer.encode_words(words_of(lines[i]), add_special)
                       : tokenizer.encode_text(lines[i], add_special);
    } catch (const InputError& e) {
      throw InputError(cat(origins[i], ": ", e.what()));
    }
    out += "{\"text\": " + json_quote(lines[i]) + ", \"tokens\": [";
    for (size_t k = 0; k < enc.tokens.size(); ++k) out += (k ? ", " : "") + json_quote(enc.tokens[k]);
    out += "], \"ids\": [";
    for (size_t k = 0; k < enc.ids.size(); ++k) out += (k ? ", " : "") + std::to_string(enc.ids[k]);
    out += "], \"word_ids\": [";
    for (size_t k = 0; k < enc.word_ids.size(); ++k)
      out += (k ? ", " : "") + (enc.word_ids[k] < 0 ? std::string("null") : std::to_string(enc.word_ids[k]));
    out += "]}\n";
    if (out.size() > (1 << 20)) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out << std::flush;
  return kExitOk;
}

}  // namespace bertology
