// Multiple-choice reading comprehension (Si et al. 2019): one question about a passage with a fixed
// number of options, exactly one of them correct. The readers (mc_readers.h) turn MCTest, DREAM,
// MCScript and RACE files into these; the model side builds one "passage / question + option"
// pair per option from them (filled_question) and scores the options against each other.
#pragma once

#include <string>
#include <vector>

namespace bertology {

/// One question with its passage and options.
struct McExample {
  std::string id;      ///< "<passage id>-<question>", e.g. "mc160.dev.0-2" (mc_readers.h)
  std::string origin;  ///< where it was read: "FILE:LINE" (MCTest, MCScript) or "FILE:key" (JSON)
  std::string passage;
  std::string question;
  std::vector<std::string> options;
  int answer = -1;  ///< 0-based index into `options` of the correct one

  /// What an attack (attacks.h) wrote into the example; encode_mc_example keeps it whole when it
  /// truncates model inputs (mc_features.h), so an attack is never cut away by truncation.
  /// passage_added_from: byte offset in `passage` where appended text starts (npos: none).
  /// attacked_options[k]: option k was rewritten by the attack (empty: none).
  std::size_t passage_added_from = std::string::npos;
  std::vector<bool> attacked_options;
  bool option_attacked(int k) const {
    return k >= 0 && static_cast<std::size_t>(k) < attacked_options.size() && attacked_options[static_cast<std::size_t>(k)];
  }
};

/// The questions of one file (MCTest, DREAM, MCScript) or folder (RACE), in file order.
struct McDataset {
  std::string name;  ///< "<format>/<file stem or folder name>", e.g. "mctest/mc160.dev"
  std::string path;  ///< as given to the reader
  std::vector<McExample> examples;
};

/// The second segment of the model input for `option`, in three parts whose concatenation is
/// filled_question(): the text before the option, the option, the text after it.
struct FilledQuestion {
  std::string before, option, after;
  std::string text() const { return before + option + after; }
};

/// The second segment of the model input for `option`: a cloze question (one containing "_")
/// gets the option in place of its first run of underscores ("He went to ___ ." + "school" ->
/// "He went to school ."), any other question becomes question + " " + option.
///
/// Why a run and not every "_": the reference code (HF run_multiple_choice, reused by Si's
/// AdvRACE) calls question.replace("_", option), which is the same for RACE's single "_" blanks
/// but writes the option once per underscore for DREAM's "__________" blanks (263 of its
/// questions), a bug we do not copy. Later runs (a second blank) stay as they are.
inline FilledQuestion filled_question_parts(const McExample& ex, int option) {
  const std::string& text = ex.options.at(static_cast<size_t>(option));
  const size_t first = ex.question.find('_');
  if (first == std::string::npos) return {ex.question + " ", text, ""};
  size_t end = first;
  while (end < ex.question.size() && ex.question[end] == '_') ++end;
  return {ex.question.substr(0, first), text, ex.question.substr(end)};
}
inline std::string filled_question(const McExample& ex, int option) { return filled_question_parts(ex, option).text(); }

}  // namespace bertology
