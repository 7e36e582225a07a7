// Un-answerable training transforms of Si et al. 2019 (see unanswerable.h).
#include "pipeline/mcrc/unanswerable.h"

#include <random>
#include <string>

#include "pipeline/mcrc/attacks.h"
#include "pipeline/util/error.h"

namespace bertology {

namespace {

const char* const kNames[] = {"P-Shuffle", "Q-Shuffle", "PQ-Shuffle", "P-Remove", "Q-Remove", "PQ-Remove"};

std::string shuffled(const std::string& text, std::mt19937_64& engine) {
  std::vector<std::string> words = split_words(text);
  fisher_yates(words, engine);
  return join_words(words);
}

}  // namespace

const char* unanswerable_name(Unanswerable kind) { return kNames[static_cast<int>(kind)]; }

const std::vector<Unanswerable>& all_unanswerable() {
  static const std::vector<Unanswerable> all = {Unanswerable::PShuffle, Unanswerable::QShuffle,
                                                Unanswerable::PQShuffle, Unanswerable::PRemove,
                                                Unanswerable::QRemove, Unanswerable::PQRemove};
  return all;
}

Unanswerable parse_unanswerable(std::string_view name) {
  for (Unanswerable u : all_unanswerable())
    if (name == unanswerable_name(u)) return u;
  std::string valid;
  for (Unanswerable u : all_unanswerable()) valid += std::string(valid.empty() ? "" : ", ") + unanswerable_name(u);
  throw InputError(cat("unknown un-answerable transform '", name, "' (valid: ", valid, ")"));
}

McExample make_unanswerable(const McExample& example, Unanswerable kind, uint64_t seed, uint64_t index) {
  McExample out = example;
  // Marks of text an attack appended (mc_example.h) would point into a rewritten passage.
  out.passage_added_from = std::string::npos;
  std::mt19937_64 engine(example_seed(seed, index));
  switch (kind) {
    case Unanswerable::PShuffle:
      out.passage = shuffled(example.passage, engine);
      break;
    case Unanswerable::QShuffle:
      out.question = shuffled(example.question, engine);
      break;
    case Unanswerable::PQShuffle:
      out.passage = shuffled(example.passage, engine);
      out.question = shuffled(example.question, engine);
      break;
    case Unanswerable::PRemove:
      out.passage.clear();
      break;
    case Unanswerable::QRemove:
      out.question.clear();
      break;
    case Unanswerable::PQRemove:
      out.passage.clear();
      out.question.clear();
      break;
  }
  return out;
}

std::vector<McExample> make_unanswerable_set(const std::vector<McExample>& examples, Unanswerable kind,
                                             uint64_t seed) {
  std::vector<McExample> out;
  out.reserve(examples.size());
  for (std::size_t i = 0; i < examples.size(); ++i) out.push_back(make_unanswerable(examples[i], kind, seed, i));
  return out;
}

}  // namespace bertology
