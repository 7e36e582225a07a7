// Antecedent queries, the three baselines and their scoring; antecedents.h documents the choices.
#include "pipeline/coref/antecedents.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "pipeline/util/error.h"
#include "pipeline/util/percent.h"

namespace bertology {
namespace {

/// The head of the nearest mention preceding the query's mention that `pass` accepts, skipping
/// mentions with the query's own head word; -1 when none does.
template <typename Pass>
int nearest_passing(const CorefDocument& doc, const AntecedentQuery& q, Pass pass) {
  // Mentions are sorted by (start, end): walking back from the query gives larger starts first
  // and, for equal starts, longer mentions first. Equal starts to the query's are not preceding.
  const int start = doc.mentions[q.mention].start;
  for (int j = q.mention - 1; j >= 0; --j) {
    const Mention& c = doc.mentions[j];
    if (c.start < start && c.head != q.head && pass(c)) return c.head;
  }
  return -1;
}

std::string lower_text(const CorefDocument& doc, const Mention& m) {
  std::string text;
  for (int i = m.start; i < m.end; ++i) {
    if (i > m.start) text += ' ';
    text += ascii_lower(doc.words[i]);
  }
  return text;
}

bool same_head_word(const CorefDocument& doc, const Mention& a, const Mention& b) {
  return ascii_lower(doc.words[a.head]) == ascii_lower(doc.words[b.head]);
}

// ---- agreement features (sieve 3) --------------------------------------------------------------

using Features = PronounFeatures;

bool tag_known(const std::vector<std::string>& tags, int i) {
  return i < static_cast<int>(tags.size()) && !tags[i].empty() && tags[i] != "_";
}

Features::Number untagged_number(const std::string& lower_head, MentionType type) {
  if (lower_head == "men" || lower_head == "women" || lower_head == "children" ||
      lower_head == "people") {
    return Features::kPlural;
  }
  const auto ends = [&lower_head](const char* suffix) {
    const std::string s(suffix);
    return lower_head.size() >= s.size() &&
           lower_head.compare(lower_head.size() - s.size(), s.size(), s) == 0;
  };
  const bool plural_s = type == MentionType::Nominal && lower_head.size() > 2 && ends("s") &&
                        !ends("ss") && !ends("us") && !ends("is");
  return plural_s ? Features::kPlural : Features::kSingular;
}

Features::Number noun_number(const CorefDocument& doc, const Mention& m) {
  if (!tag_known(doc.xpos, m.head)) return untagged_number(ascii_lower(doc.words[m.head]), m.type);
  const std::string& tag = doc.xpos[m.head];
  if (tag == "NNS" || tag == "NNPS") return Features::kPlural;
  if (tag == "NN" || tag == "NNP") return Features::kSingular;
  return Features::kAnyNumber;
}

/// Gender from a title opening the mention ("Mr. Bennet", "Lady Lucas").
Features::Gender title_gender(const CorefDocument& doc, const Mention& m) {
  std::string first = ascii_lower(doc.words[m.start]);
  if (!first.empty() && first.back() == '.') first.pop_back();
  if (first == "mr" || first == "sir" || first == "lord" || first == "king") {
    return Features::kMasculine;
  }
  if (first == "mrs" || first == "miss" || first == "lady" || first == "queen" ||
      first == "madam") {
    return Features::kFeminine;
  }
  return Features::kAnyGender;
}

Features mention_features(const CorefDocument& doc, const Mention& m) {
  if (m.type == MentionType::Pronoun) {
    const Features* f = english_pronoun(doc.words[m.head]);
    return f != nullptr ? *f : Features();  // "something", "who": nothing known
  }
  Features f;
  f.number = noun_number(doc, m);
  f.gender = title_gender(doc, m);
  f.person = 3;
  return f;
}

bool agree(const Features& a, const Features& b) {
  const bool number = a.number == Features::kAnyNumber || b.number == Features::kAnyNumber ||
                      a.number == b.number;
  const bool gender = a.gender == Features::kAnyGender || b.gender == Features::kAnyGender ||
                      a.gender == b.gender;
  const bool person = a.person == 0 || b.person == 0 || a.person == b.person;
  return number && gender && person;
}

int sieve_prediction(const CorefDocument& doc, const AntecedentQuery& q) {
  const Mention& query = doc.mentions[q.mention];
  const std::string text = lower_text(doc, query);
  int head = nearest_passing(doc, q, [&](const Mention& c) { return lower_text(doc, c) == text; });
  if (head >= 0) return head;
  head = nearest_passing(doc, q, [&](const Mention& c) { return same_head_word(doc, c, query); });
  if (head >= 0) return head;
  const Features features = mention_features(doc, query);
  head = nearest_passing(
      doc, q, [&](const Mention& c) { return agree(features, mention_features(doc, c)); });
  if (head >= 0) return head;
  return nearest_passing(doc, q, [](const Mention&) { return true; });
}

}  // namespace

std::vector<AntecedentQuery> antecedent_queries(const CorefDocument& doc) {
  std::vector<AntecedentQuery> queries;
  std::set<std::pair<int, int>> queried;  // (entity, head word) of the queries so far
  const int n = static_cast<int>(doc.mentions.size());
  for (int m = 0; m < n; ++m) {
    const Mention& mention = doc.mentions[m];
    AntecedentQuery q;
    q.mention = m;
    q.head = mention.head;
    q.type = mention.type;
    // Sorted by start: every mention starting earlier comes before m.
    for (int j = 0; j < m; ++j) {
      const Mention& other = doc.mentions[j];
      if (other.entity == mention.entity && other.start < mention.start) {
        q.antecedent_heads.push_back(other.head);
      }
    }
    std::sort(q.antecedent_heads.begin(), q.antecedent_heads.end());
    q.antecedent_heads.erase(std::unique(q.antecedent_heads.begin(), q.antecedent_heads.end()),
                             q.antecedent_heads.end());
    if (q.antecedent_heads.empty()) continue;
    if (std::binary_search(q.antecedent_heads.begin(), q.antecedent_heads.end(), q.head)) continue;
    if (!queried.insert({mention.entity, q.head}).second) continue;
    queries.push_back(std::move(q));
  }
  return queries;
}

std::vector<int> nearest_mention(const CorefDocument& doc,
                                 const std::vector<AntecedentQuery>& queries) {
  std::vector<int> out;
  out.reserve(queries.size());
  for (const AntecedentQuery& q : queries) {
    out.push_back(nearest_passing(doc, q, [](const Mention&) { return true; }));
  }
  return out;
}

std::vector<int> nearest_head_match(const CorefDocument& doc,
                                    const std::vector<AntecedentQuery>& queries) {
  std::vector<int> out;
  out.reserve(queries.size());
  for (const AntecedentQuery& q : queries) {
    const Mention& query = doc.mentions[q.mention];
    out.push_back(nearest_passing(
        doc, q, [&](const Mention& c) { return same_head_word(doc, c, query); }));
  }
  return out;
}

std::vector<int> rule_based_sieves(const CorefDocument& doc,
                                   const std::vector<AntecedentQuery>& queries) {
  std::vector<int> out;
  out.reserve(queries.size());
  for (const AntecedentQuery& q : queries) out.push_back(sieve_prediction(doc, q));
  return out;
}

double CorefScore::accuracy(int k) const {
  return percent(static_cast<double>(correct[k]), static_cast<double>(count[k]));
}

void CorefScore::add(const CorefScore& other) {
  for (int k = 0; k < 4; ++k) {
    correct[k] += other.correct[k];
    count[k] += other.count[k];
  }
}

void score_predictions(const std::vector<AntecedentQuery>& queries,
                       const std::vector<int>& predicted_heads, CorefScore& score) {
  if (predicted_heads.size() != queries.size()) {
    throw InternalError(cat("score_predictions: ", predicted_heads.size(), " predictions for ",
                            queries.size(), " queries"));
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    const AntecedentQuery& q = queries[i];
    // find, not binary_search: queries built by hand need not be sorted.
    const bool hit = std::find(q.antecedent_heads.begin(), q.antecedent_heads.end(),
                               predicted_heads[i]) != q.antecedent_heads.end();
    for (int k : {0, 1 + static_cast<int>(q.type)}) {
      ++score.count[k];
      if (hit) ++score.correct[k];
    }
  }
}

}  // namespace bertology
