// The DREAM reader: a JSON list of dialogues with their questions. mc_readers.h has the format.
#include "pipeline/mcrc/mc_readers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/json_path.h"
#include "pipeline/mcrc/mc_readers_internal.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {

using namespace mc_readers_internal;

namespace {

using nlohmann::json;

/// The questions of dialogue `d`: [[turn, ...], [{question, choice, answer}, ...], id].
void read_dream_dialogue(const JsonPathReader& r, const std::string& path, const json& dialogue,
                         size_t d, McDataset* ds) {
  const std::string key = json_key_index("", d);
  r.list(dialogue, key);
  if (dialogue.size() != 3) {
    r.fail(key, cat("expected [turns, questions, dialogue id], found a list of ", dialogue.size()));
  }
  const std::vector<std::string> turns = r.strings(dialogue[0], json_key_index(key, 0));
  const std::string dialogue_id = r.string(dialogue[2], json_key_index(key, 2));
  std::string passage;
  for (size_t t = 0; t < turns.size(); ++t) passage += (t > 0 ? "\n" : "") + turns[t];

  const std::string questions_key = json_key_index(key, 1);
  const json& questions = r.list(dialogue[1], questions_key);
  for (size_t q = 0; q < questions.size(); ++q) {
    const std::string qkey = json_key_index(questions_key, q);
    McExample ex;
    ex.question =
        r.string(r.member(questions[q], qkey, "question"), json_key_member(qkey, "question"));
    ex.options = read_options(r, r.member(questions[q], qkey, "choice"),
                              json_key_member(qkey, "choice"), kDreamOptions);
    const std::string answer_key = json_key_member(qkey, "answer");
    const std::string answer = r.string(r.member(questions[q], qkey, "answer"), answer_key);
    const auto count = std::count(ex.options.begin(), ex.options.end(), answer);
    if (count != 1) {
      r.fail(answer_key, count == 0 ? cat("\"", answer, "\" is not one of the choices")
                                    : cat("\"", answer, "\" occurs ", count, " times in choice"));
    }
    ex.answer = static_cast<int>(std::find(ex.options.begin(), ex.options.end(), answer) -
                                 ex.options.begin());
    ex.id = cat(dialogue_id, "-", q);
    ex.origin = cat(path, ":", qkey);
    ex.passage = passage;
    ds->examples.push_back(std::move(ex));
  }
}

}  // namespace

McDataset read_dream(const std::string& json_path) {
  const std::string data = read_text_file(json_path, "DREAM JSON file", true);
  const json doc = parse_json_file(json_path, data);
  const JsonPathReader r(json_path);
  r.list(doc, "");
  McDataset ds = start_dataset("dream", json_path, false);
  for (size_t d = 0; d < doc.size(); ++d) read_dream_dialogue(r, json_path, doc[d], d, &ds);
  require_questions(ds);
  return ds;
}

}  // namespace bertology
