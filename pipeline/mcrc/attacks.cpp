// Test-time attacks of Si et al. 2019 (see attacks.h).
#include "pipeline/mcrc/attacks.h"

#include <algorithm>
#include <functional>

#include "pipeline/util/error.h"

namespace bertology {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// "a" + " " + "b", leaving out an empty part with its space.
std::string join_two(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + " " + b;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool free_of(const std::vector<std::string>& words, const std::vector<std::vector<std::string>>& forbidden) {
  for (const auto& f : forbidden)
    if (!f.empty() && contains_run(words, f)) return false;
  return true;
}

struct Attacker {
  const AttackOptions& options;
  std::mt19937_64 engine;
  AttackInfo info;
  double degree_sum = 0.0;

  std::vector<std::string> shuffle(const std::vector<std::string>& original,
                                   const std::vector<std::vector<std::string>>& forbidden = {}) {
    ShuffleResult r =
        constrained_shuffle(original, engine, options.min_shuffle_degree, options.max_reshuffles, forbidden);
    ++info.shuffled_sequences;
    info.reshuffles += r.reshuffles;
    if (!r.met) ++info.unmet;
    degree_sum += r.degree;
    return std::move(r.words);
  }
};

const char* const kAttackNames[] = {"AddSent2Pas-Shuffle", "AddSent2Opt-Shuffle", "AddAns2Opt-Shuffle",
                                    "AddSent2Opt",         "Sent2Opt-Shuffle",    "AddAns2Opt",
                                    "Ans2Opt-Shuffle"};

}  // namespace

// ---- tokenisation -----------------------------------------------------------------------------

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i) out += ' ';
    out += words[i];
  }
  return out;
}

std::vector<std::string> split_sentences(std::string_view passage) {
  std::vector<std::string> sentences;
  auto push = [&](std::size_t begin, std::size_t end) {
    while (begin < end && is_space(passage[begin])) ++begin;
    while (end > begin && is_space(passage[end - 1])) --end;
    if (end > begin) sentences.emplace_back(passage.substr(begin, end - begin));
  };
  std::size_t start = 0;
  for (std::size_t i = 0; i < passage.size(); ++i) {
    const char c = passage[i];
    if ((c == '.' || c == '!' || c == '?') && (i + 1 == passage.size() || is_space(passage[i + 1]))) {
      push(start, i + 1);
      start = i + 1;
    }
  }
  push(start, passage.size());
  return sentences;
}

// ---- ShuffleDegree ----------------------------------------------------------------------------

std::size_t word_edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // One row of the dynamic programme: row[j] = distance(a[0..i), b[0..j)).
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];  // distance(a[0..i-1), b[0..j-1))
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({up + 1, row[j - 1] + 1, substitute});
      diagonal = up;
    }
  }
  return row[b.size()];
}

double shuffle_degree(const std::vector<std::string>& original, const std::vector<std::string>& shuffled) {
  if (original.empty()) return 0.0;
  return static_cast<double>(word_edit_distance(original, shuffled)) / static_cast<double>(original.size());
}

bool contains_run(const std::vector<std::string>& haystack, const std::vector<std::string>& needle) {
  if (needle.empty()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

// ---- deterministic randomness -----------------------------------------------------------------

uint64_t example_seed(uint64_t seed, uint64_t example_index) {
  return splitmix64(splitmix64(seed) ^ splitmix64(example_index ^ 0xD1B54A32D192ED03ULL));
}

uint64_t uniform_below(std::mt19937_64& engine, uint64_t n) {
  BTL_CHECK(n >= 1, "uniform_below needs a non-empty range");
  // Accept r >= 2^64 mod n, so that the accepted range is a multiple of n.
  const uint64_t threshold = (0 - n) % n;
  while (true) {
    const uint64_t r = engine();
    if (r >= threshold) return r % n;
  }
}

ShuffleResult constrained_shuffle(const std::vector<std::string>& original, std::mt19937_64& engine,
                                  double min_degree, int max_reshuffles,
                                  const std::vector<std::vector<std::string>>& forbidden) {
  ShuffleResult best;
  const bool all_equal =
      std::adjacent_find(original.begin(), original.end(), std::not_equal_to<>()) == original.end();
  if (all_equal) {  // no permutation changes it
    best.words = original;
    best.degree = 0.0;
    best.met = best.degree >= min_degree && free_of(original, forbidden);
    return best;
  }
  bool best_free = false;
  for (int attempt = 0; attempt <= max_reshuffles; ++attempt) {
    std::vector<std::string> words = original;
    fisher_yates(words, engine);
    const double degree = shuffle_degree(original, words);
    const bool is_free = free_of(words, forbidden);
    if (attempt == 0 || (is_free && !best_free) || (is_free == best_free && degree > best.degree)) {
      best.words = std::move(words);
      best.degree = degree;
      best_free = is_free;
    }
    best.reshuffles = attempt;
    if (is_free && degree >= min_degree) break;
  }
  best.met = best_free && best.degree >= min_degree;
  return best;
}

// ---- attacks ----------------------------------------------------------------------------------

const char* attack_name(Attack attack) { return kAttackNames[static_cast<int>(attack)]; }

const std::vector<Attack>& all_attacks() {
  static const std::vector<Attack> all = {Attack::AddSent2PasShuffle, Attack::AddSent2OptShuffle,
                                          Attack::AddAns2OptShuffle,  Attack::Sent2OptShuffle,
                                          Attack::Ans2OptShuffle,     Attack::AddSent2Opt,
                                          Attack::AddAns2Opt};
  return all;
}

Attack parse_attack(std::string_view name) {
  for (Attack a : all_attacks())
    if (name == attack_name(a)) return a;
  std::string valid;
  for (Attack a : all_attacks()) valid += std::string(valid.empty() ? "" : ", ") + attack_name(a);
  throw InputError(cat("unknown attack '", name, "' (valid: ", valid, ")"));
}

bool attack_shuffles(Attack attack) {
  return attack != Attack::AddSent2Opt && attack != Attack::AddAns2Opt;
}

McExample attack_example(const McExample& example, Attack attack, const AttackOptions& options,
                         uint64_t example_index, AttackInfo* info) {
  BTL_REQUIRE(options.min_shuffle_degree >= 0.0 && options.min_shuffle_degree <= 1.0,
              "attack options: min_shuffle_degree must be in [0, 1], got ", options.min_shuffle_degree);
  BTL_REQUIRE(options.max_reshuffles >= 0, "attack options: max_reshuffles must be >= 0, got ",
              options.max_reshuffles);
  const int n = static_cast<int>(example.options.size());
  BTL_REQUIRE(example.answer >= 0 && example.answer < n, "example '", example.id, "': answer ", example.answer,
              " is not an option index (", n, " options); attacks need labelled examples");

  Attacker attacker{options, std::mt19937_64(example_seed(options.seed, example_index)), AttackInfo{}};
  McExample out = example;
  const std::string& answer = example.options[example.answer];
  const std::vector<std::string> answer_words = split_words(answer);

  if (attack == Attack::AddSent2PasShuffle) {
    std::vector<std::string> sequence = split_words(example.question);
    std::vector<std::vector<std::string>> forbidden;
    for (int k = 0; k < n; ++k) {
      if (k == example.answer) continue;
      std::vector<std::string> w = split_words(example.options[k]);
      sequence.insert(sequence.end(), w.begin(), w.end());
      if (w.size() >= 2) forbidden.push_back(std::move(w));
    }
    const std::string added = join_words(attacker.shuffle(sequence, forbidden));
    out.passage = join_two(example.passage, added);
    if (!added.empty()) out.passage_added_from = out.passage.size() - added.size();
  } else {
    const bool needs_sentence =
        attack == Attack::AddSent2OptShuffle || attack == Attack::AddSent2Opt || attack == Attack::Sent2OptShuffle;
    std::vector<std::string> sentences;
    if (needs_sentence && n > 1) {
      sentences = split_sentences(example.passage);
      BTL_REQUIRE(!sentences.empty(), "example '", example.id, "': ", attack_name(attack),
                  " needs a passage sentence but the passage is empty");
    }
    // All sentences are drawn first (wrong options in order), so the shuffles that follow do not
    // change which sentences are picked.
    std::vector<std::string> picked(n);
    if (needs_sentence)
      for (int k = 0; k < n; ++k)
        if (k != example.answer) picked[k] = sentences[uniform_below(attacker.engine, sentences.size())];
    out.attacked_options.assign(static_cast<size_t>(n), false);
    for (int k = 0; k < n; ++k) {
      if (k == example.answer) continue;
      out.attacked_options[static_cast<size_t>(k)] = true;
      const std::string& option = example.options[k];
      const std::string& sentence = picked[k];
      switch (attack) {
        case Attack::AddSent2OptShuffle:
          out.options[k] = join_words(attacker.shuffle(concat(split_words(option), split_words(sentence))));
          break;
        case Attack::AddAns2OptShuffle:
          out.options[k] = join_words(attacker.shuffle(concat(split_words(option), answer_words)));
          break;
        case Attack::AddSent2Opt:
          out.options[k] = join_two(option, sentence);
          break;
        case Attack::Sent2OptShuffle:
          out.options[k] = join_words(attacker.shuffle(split_words(sentence)));
          break;
        case Attack::AddAns2Opt:
          out.options[k] = join_two(option, answer);
          break;
        case Attack::Ans2OptShuffle:
          out.options[k] = join_words(attacker.shuffle(answer_words));
          break;
        case Attack::AddSent2PasShuffle:
          break;  // handled above
      }
    }
  }

  if (info) {
    AttackInfo& i = attacker.info;
    if (i.shuffled_sequences > 0) i.shuffle_degree = attacker.degree_sum / i.shuffled_sequences;
    for (int k = 0; k < n; ++k) {
      i.option_words_before += static_cast<int64_t>(split_words(example.options[k]).size());
      i.option_words_after += static_cast<int64_t>(split_words(out.options[k]).size());
    }
    if (i.option_words_before > 0)
      i.option_length_change =
          static_cast<double>(i.option_words_after - i.option_words_before) / static_cast<double>(i.option_words_before);
    *info = i;
  }
  return out;
}

std::vector<McExample> attack_set(const std::vector<McExample>& examples, Attack attack,
                                  const AttackOptions& options, AttackSummary* summary,
                                  std::vector<AttackInfo>* infos) {
  std::vector<McExample> out;
  out.reserve(examples.size());
  if (infos) infos->clear();
  AttackSummary s;
  double degree_sum = 0.0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    AttackInfo info;
    out.push_back(attack_example(examples[i], attack, options, i, &info));
    ++s.examples;
    s.shuffled_sequences += info.shuffled_sequences;
    degree_sum += info.shuffle_degree * info.shuffled_sequences;
    s.reshuffles += info.reshuffles;
    s.unmet += info.unmet;
    s.option_words_before += info.option_words_before;
    s.option_words_after += info.option_words_after;
    if (infos) infos->push_back(info);
  }
  if (s.shuffled_sequences > 0) s.mean_shuffle_degree = degree_sum / static_cast<double>(s.shuffled_sequences);
  if (s.option_words_before > 0)
    s.option_length_change =
        static_cast<double>(s.option_words_after - s.option_words_before) / static_cast<double>(s.option_words_before);
  if (summary) *summary = s;
  return out;
}

nlohmann::json attack_summary_json(const AttackSummary& s) {
  return nlohmann::json{{"examples", s.examples},
                        {"shuffled_sequences", s.shuffled_sequences},
                        {"mean_shuffle_degree", s.mean_shuffle_degree},
                        {"reshuffles", s.reshuffles},
                        {"unmet", s.unmet},
                        {"option_words_before", s.option_words_before},
                        {"option_words_after", s.option_words_after},
                        {"option_length_change", s.option_length_change}};
}

nlohmann::json attacked_set_json(const std::vector<McExample>& examples) {
  nlohmann::json out = nlohmann::json::array();
  for (const McExample& e : examples) {
    nlohmann::json attacked = nlohmann::json::array();
    for (int k = 0; k < static_cast<int>(e.options.size()); ++k)
      if (e.option_attacked(k)) attacked.push_back(k);
    out.push_back({{"id", e.id},
                   {"passage", e.passage},
                   {"question", e.question},
                   {"options", e.options},
                   {"answer", e.answer},
                   {"added_to_passage",
                    e.passage_added_from < e.passage.size() ? e.passage.substr(e.passage_added_from) : std::string()},
                   {"attacked_options", attacked}});
  }
  return out;
}

}  // namespace bertology
