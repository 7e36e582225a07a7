#include "pipeline/mcrc/mc_features.h"

#include <algorithm>

#include "pipeline/util/error.h"

namespace bertology {

int64_t McFeatures::tokens() const {
  int64_t n = 0;
  for (const auto& ids : input_ids) n += static_cast<int64_t>(ids.size());
  return n;
}

namespace {

/// Index of the last token of `s` that is not kept; -1 when none.
int64_t last_unkept(const TokenSegment& s) {
  for (int64_t i = static_cast<int64_t>(s.ids.size()) - 1; i >= 0; --i)
    if (!s.kept[static_cast<size_t>(i)]) return i;
  return -1;
}

void remove_at(TokenSegment& s, int64_t i) {
  if (s.kept[static_cast<size_t>(i)]) ++s.kept_cut;
  ++s.cut;
  s.ids.erase(s.ids.begin() + i);
  s.kept.erase(s.kept.begin() + i);
}

void append(TokenSegment& s, const std::vector<int32_t>& ids, bool kept) {
  s.ids.insert(s.ids.end(), ids.begin(), ids.end());
  s.kept.insert(s.kept.end(), ids.size(), kept);
}

/// Marks the last `count` tokens kept. Appended text joined at a space (attacks.h) is exactly the
/// passage's last encode(added).size() tokens, as BERT splits at whitespace first.
void mark_kept_tail(TokenSegment& s, size_t count) {
  std::fill(s.kept.end() - static_cast<int64_t>(std::min(count, s.kept.size())), s.kept.end(), true);
}

}  // namespace

void truncate_sparing_kept(TokenSegment& first, TokenSegment& second, int64_t excess) {
  for (; excess > 0; --excess) {
    TokenSegment& longer = first.ids.size() > second.ids.size() ? first : second;
    TokenSegment& other = &longer == &first ? second : first;
    if (longer.ids.empty()) return;  // both empty: nothing left to cut
    if (const int64_t i = last_unkept(longer); i >= 0) remove_at(longer, i);
    else if (const int64_t j = last_unkept(other); j >= 0) remove_at(other, j);
    else remove_at(longer, static_cast<int64_t>(longer.ids.size()) - 1);
  }
}

McFeatures encode_mc_example(const BertTokenizer& tokenizer, const McExample& example, int max_length) {
  BTL_REQUIRE(max_length >= 4, "mcrc: max_length must be at least 4 ([CLS] p [SEP] q [SEP]), got ", max_length);
  BTL_REQUIRE(example.options.size() >= 2, example.origin, ": question ", example.id, " has ",
              example.options.size(), " options (at least 2 needed)");
  BTL_REQUIRE(example.answer >= 0 && example.answer < static_cast<int>(example.options.size()), example.origin,
              ": question ", example.id, " has answer index ", example.answer, " outside its ",
              example.options.size(), " options");
  const auto encode = [&](const std::string& text) { return tokenizer.encode_text(text, false).ids; };
  McFeatures f;
  f.answer = example.answer;
  // The passage as HF tokenizes it; with attack text appended, its last tokens are kept.
  TokenSegment passage;
  append(passage, encode(example.passage), false);
  bool passage_has_added = false;
  if (example.passage_added_from < example.passage.size()) {
    const size_t added = encode(example.passage.substr(example.passage_added_from)).size();
    mark_kept_tail(passage, added);
    passage_has_added = added > 0;
  }
  const int64_t budget = max_length - 3;
  for (size_t k = 0; k < example.options.size(); ++k) {
    TokenSegment first = passage, second;
    const bool option_attacked = example.option_attacked(static_cast<int>(k));
    append(second, encode(filled_question(example, static_cast<int>(k))), false);
    if (option_attacked) {
      // The option's tokens, where the question's parts tokenize the same alone (a join at a
      // space or punctuation); otherwise (a cloze blank glued to letters) the whole segment.
      const FilledQuestion parts = filled_question_parts(example, static_cast<int>(k));
      const auto before = encode(parts.before), option = encode(parts.option), after = encode(parts.after);
      const bool separable = before.size() + option.size() + after.size() == second.ids.size() &&
                             std::equal(before.begin(), before.end(), second.ids.begin()) &&
                             std::equal(option.begin(), option.end(), second.ids.begin() + static_cast<int64_t>(before.size())) &&
                             std::equal(after.begin(), after.end(), second.ids.end() - static_cast<int64_t>(after.size()));
      if (separable)
        std::fill(second.kept.begin() + static_cast<int64_t>(before.size()),
                  second.kept.begin() + static_cast<int64_t>(before.size() + option.size()), true);
      else
        std::fill(second.kept.begin(), second.kept.end(), true);
    }
    const int64_t excess = static_cast<int64_t>(first.ids.size() + second.ids.size()) - budget;
    if (excess > 0) {
      truncate_sparing_kept(first, second, excess);
      ++f.truncated_options;
    }
    if (first.cut > 0) ++f.passage_truncated_options;
    if (passage_has_added || option_attacked) {
      ++f.added_text_options;
      if (first.kept_cut + second.kept_cut > 0) ++f.added_text_cut_options;
    }
    std::vector<int32_t> ids, types;
    ids.reserve(first.ids.size() + second.ids.size() + 3);
    ids.push_back(tokenizer.cls_id());
    ids.insert(ids.end(), first.ids.begin(), first.ids.end());
    ids.push_back(tokenizer.sep_id());
    types.assign(ids.size(), 0);
    ids.insert(ids.end(), second.ids.begin(), second.ids.end());
    ids.push_back(tokenizer.sep_id());
    types.resize(ids.size(), 1);
    f.input_ids.push_back(std::move(ids));
    f.token_type_ids.push_back(std::move(types));
  }
  return f;
}

std::vector<McFeatures> encode_mc_examples(const BertTokenizer& tokenizer, const std::vector<McExample>& examples,
                                           int max_length) {
  std::vector<McFeatures> out;
  out.reserve(examples.size());
  for (const auto& ex : examples) out.push_back(encode_mc_example(tokenizer, ex, max_length));
  return out;
}

}  // namespace bertology
