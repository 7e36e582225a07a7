// The mention head and type rules and the closed list of English pronouns. coref_document.h
// states the rules; the readers (coref_readers.cpp) apply them to every mention they read.
#include "pipeline/coref/coref_document.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace bertology {
namespace {

bool has_ascii_alnum(std::string_view word) {
  return std::any_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

bool tag_known(const std::vector<std::string>& tags, int i) {
  return i < static_cast<int>(tags.size()) && !tags[i].empty() && tags[i] != "_";
}

// ---- head rule helpers -------------------------------------------------------------------------

/// Words at which the parse-free head rule cuts a span: what follows them modifies the head.
bool is_cut_word(std::string_view word) {
  static const std::unordered_set<std::string> kCut = {
      // prepositions
      "of", "in", "on", "at", "for", "with", "from", "to", "by", "about", "into", "upon", "among",
      "between", "through", "without", "within", "under", "over", "near",
      // relative words
      "who", "whom", "whose", "which", "that", "where", "when"};
  return !has_ascii_alnum(word) || kCut.count(ascii_lower(word)) > 0;
}

bool is_possessive_marker(std::string_view word) {
  const std::string lower = ascii_lower(word);
  return lower == "'s" || lower == "\xE2\x80\x99s";  // 's, ’s
}

int parsed_head(const CorefDocument& doc, int start, int end) {
  for (int i = start; i < end; ++i) {
    const int h = doc.heads[i];
    if (h < start || h >= end) return i;  // -1 (root) counts as outside
  }
  return start;  // only for a cyclic "tree"
}

int heuristic_head(const CorefDocument& doc, int start, int end) {
  int stop = end;
  for (int i = start + 1; i < end; ++i) {
    if (is_cut_word(doc.words[i])) {
      stop = i;
      break;
    }
  }
  int head = stop - 1;
  if (head > start && is_possessive_marker(doc.words[head])) --head;
  return head;
}

// ---- type rule helpers -------------------------------------------------------------------------

bool capitalised(std::string_view word) {
  return !word.empty() && word[0] >= 'A' && word[0] <= 'Z';
}

/// Where a capital letter says nothing about the word: sentence start, after a quote or dash.
bool initial_position(const CorefDocument& doc, int i) {
  return i == 0 || std::binary_search(doc.sentence_starts.begin(), doc.sentence_starts.end(), i) ||
         !has_ascii_alnum(doc.words[i - 1]);
}

bool looks_proper(const CorefDocument& doc, int head) {
  const std::string& word = doc.words[head];
  if (!capitalised(word)) return false;
  if (!initial_position(doc, head)) return true;
  for (int i = 0; i < static_cast<int>(doc.words.size()); ++i) {
    if (i != head && doc.words[i] == word && !initial_position(doc, i)) return true;
  }
  return false;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

const PronounFeatures* english_pronoun(std::string_view word) {
  using P = PronounFeatures;
  static const std::unordered_map<std::string, P> kPronouns = [] {
    std::unordered_map<std::string, P> table;
    const auto add = [&table](std::initializer_list<const char*> words, P::Number number,
                              P::Gender gender, int person) {
      for (const char* w : words) table[w] = P{number, gender, person};
    };
    add({"i", "me", "my", "mine", "myself"}, P::kSingular, P::kAnyGender, 1);
    add({"we", "us", "our", "ours", "ourselves"}, P::kPlural, P::kAnyGender, 1);
    add({"you", "your", "yours"}, P::kAnyNumber, P::kAnyGender, 2);
    add({"yourself", "thou", "thee", "thy", "thine", "thyself"}, P::kSingular, P::kAnyGender, 2);
    add({"yourselves", "ye"}, P::kPlural, P::kAnyGender, 2);
    add({"he", "him", "his", "himself"}, P::kSingular, P::kMasculine, 3);
    add({"she", "her", "hers", "herself"}, P::kSingular, P::kFeminine, 3);
    add({"it", "its", "itself"}, P::kSingular, P::kNeuter, 3);
    add({"they", "them", "their", "theirs", "themselves"}, P::kPlural, P::kAnyGender, 3);
    add({"this", "that"}, P::kSingular, P::kAnyGender, 3);
    add({"these", "those"}, P::kPlural, P::kAnyGender, 3);
    return table;
  }();
  const auto it = kPronouns.find(ascii_lower(word));
  return it == kPronouns.end() ? nullptr : &it->second;
}

int mention_head(const CorefDocument& doc, int start, int end) {
  const bool parsed = std::any_of(doc.heads.begin() + start, doc.heads.begin() + end,
                                  [](int h) { return h >= 0; });
  return parsed ? parsed_head(doc, start, end) : heuristic_head(doc, start, end);
}

MentionType mention_type(const CorefDocument& doc, int head) {
  const std::string& upos = tag_known(doc.upos, head) ? doc.upos[head] : std::string();
  const std::string& xpos = tag_known(doc.xpos, head) ? doc.xpos[head] : std::string();
  if (english_pronoun(doc.words[head]) != nullptr || upos == "PRON" || xpos == "PRP" ||
      xpos == "PRP$") {
    return MentionType::Pronoun;
  }
  if (!upos.empty()) return upos == "PROPN" ? MentionType::Proper : MentionType::Nominal;
  if (!xpos.empty()) {
    return xpos == "NNP" || xpos == "NNPS" ? MentionType::Proper : MentionType::Nominal;
  }
  return looks_proper(doc, head) ? MentionType::Proper : MentionType::Nominal;
}

}  // namespace bertology
