// The coreference document model's own operations: type names and truncation. The readers are
// in coref_readers.cpp, the head and type rules in mention_rules.cpp.
#include "pipeline/coref/coref_document.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "pipeline/util/error.h"

namespace bertology {

const char* mention_type_name(MentionType type) {
  switch (type) {
    case MentionType::Pronoun: return "pronoun";
    case MentionType::Proper: return "proper";
    case MentionType::Nominal: return "nominal";
  }
  return "?";
}

CorefDocument truncate_document(const CorefDocument& doc, int num_words) {
  BTL_REQUIRE(num_words >= 0, "truncate_document: num_words must be >= 0, got ", num_words);
  const int n = std::min(num_words, static_cast<int>(doc.words.size()));
  const auto first = [n](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    return V(v.begin(), v.begin() + std::min<size_t>(n, v.size()));
  };
  CorefDocument out;
  out.id = doc.id;
  out.origin = doc.origin;
  out.words = first(doc.words);
  out.upos = first(doc.upos);
  out.xpos = first(doc.xpos);
  out.heads = first(doc.heads);
  for (int& h : out.heads) {
    if (h >= n) h = -1;
  }
  for (int s : doc.sentence_starts) {
    if (s < n) out.sentence_starts.push_back(s);
  }
  for (const Mention& m : doc.mentions) {
    if (m.end <= n && m.head < n) out.mentions.push_back(m);
  }
  return out;
}

}  // namespace bertology
