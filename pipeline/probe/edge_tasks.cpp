#include "pipeline/probe/edge_tasks.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <utility>

#include "pipeline/coref/coref_document.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/text.h"

namespace bertology {

EdgeCorpusTask parse_edge_corpus_task(const std::string& name) {
  if (name == "pos") return EdgeCorpusTask::Pos;
  if (name == "deps") return EdgeCorpusTask::Deps;
  if (name == "consts") return EdgeCorpusTask::Consts;
  if (name == "entities") return EdgeCorpusTask::Entities;
  throw InputError(cat("edge.tasks: unknown task '", name, "' (expected pos, deps, consts or entities)"));
}

const char* edge_corpus_task_name(EdgeCorpusTask task) {
  switch (task) {
    case EdgeCorpusTask::Pos: return "pos";
    case EdgeCorpusTask::Deps: return "deps";
    case EdgeCorpusTask::Consts: return "consts";
    case EdgeCorpusTask::Entities: return "entities";
  }
  return "?";
}

bool edge_task_two_sided(EdgeCorpusTask task) { return task == EdgeCorpusTask::Deps; }

namespace {

/// Adds a target for every non-terminal node below and including `node` (pre-order); returns the
/// number of words under `node`, starting at word `first`.
int32_t collect_constituents(const PtbNode& node, int32_t first, bool is_root, std::vector<EdgeWordTarget>& out) {
  if (node.is_leaf()) return 1;
  const size_t at = out.size();
  // The file's wrapper bracket ("( (S ...) )", ROOT, TOP) is not a constituent of the sentence.
  const bool wrapper = is_root && (node.label.empty() || node.label == "ROOT" || node.label == "TOP");
  if (!wrapper) out.push_back({first, first, -1, -1, {node.label}});
  int32_t n = 0;
  for (const PtbNode& child : node.children) n += collect_constituents(child, first + n, false, out);
  if (!wrapper) out[at].span1_end = first + n;
  return n;
}

/// The entity mentions of a sentence's MISC `Entity=` brackets (see the header).
std::vector<EdgeWordTarget> entity_targets(const Sentence& s) {
  struct Open {
    std::string id, type;
    int32_t begin;
  };
  std::vector<Open> open;
  std::vector<EdgeWordTarget> out;
  for (int32_t w = 0; w < static_cast<int32_t>(s.annotations.size()); ++w) {
    const std::string& misc = s.annotations[static_cast<size_t>(w)].misc;
    size_t at = misc.find("Entity=");
    while (at != std::string::npos && at != 0 && misc[at - 1] != '|') at = misc.find("Entity=", at + 1);
    if (at == std::string::npos) continue;
    const size_t end = std::min(misc.find('|', at), misc.size());
    const std::string value = misc.substr(at + 7, end - at - 7);
    size_t k = 0;
    while (k < value.size()) {
      if (value[k] == '(') {
        size_t stop = k + 1;
        while (stop < value.size() && value[stop] != '(' && value[stop] != ')') ++stop;
        const std::string body = value.substr(k + 1, stop - k - 1);  // ID-TYPE-...
        const size_t dash = body.find('-');
        BTL_REQUIRE(dash != std::string::npos && dash > 0, s.origin, ": word ", w + 1, ": malformed Entity bracket '(",
                    body, "' (expected (ID-TYPE-...)");
        const size_t dash2 = body.find('-', dash + 1);
        Open o{body.substr(0, dash), body.substr(dash + 1, dash2 == std::string::npos ? std::string::npos : dash2 - dash - 1), w};
        BTL_REQUIRE(!o.type.empty(), s.origin, ": word ", w + 1, ": Entity bracket '(", body, "' has no type");
        if (stop < value.size() && value[stop] == ')') {  // one-word mention
          out.push_back({w, w + 1, -1, -1, {o.type}});
          k = stop + 1;
        } else {
          open.push_back(std::move(o));
          k = stop;
        }
      } else {
        size_t stop = k;
        while (stop < value.size() && value[stop] != ')' && value[stop] != '(') ++stop;
        BTL_REQUIRE(stop < value.size() && value[stop] == ')', s.origin, ": word ", w + 1, ": malformed Entity value '",
                    value, "'");
        const std::string id = value.substr(k, stop - k);
        // A close of a mention opened in an earlier sentence has no open entry here: skipped.
        for (size_t q = open.size(); q-- > 0;)
          if (open[q].id == id) {
            out.push_back({open[q].begin, w + 1, -1, -1, {open[q].type}});
            open.erase(open.begin() + static_cast<std::ptrdiff_t>(q));
            break;
          }
        k = stop + 1;
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const EdgeWordTarget& a, const EdgeWordTarget& b) {
    return std::make_pair(a.span1_begin, -a.span1_end) < std::make_pair(b.span1_begin, -b.span1_end);
  });
  return out;
}

}  // namespace

std::vector<EdgeWordTarget> corpus_edge_targets(EdgeCorpusTask task, const Sentence& s, const PtbTree* tree) {
  std::vector<EdgeWordTarget> out;
  const int32_t n = static_cast<int32_t>(s.words.size());
  if (task == EdgeCorpusTask::Consts) {
    BTL_REQUIRE(tree != nullptr, s.origin, ": edge task consts needs a PTB tree (corpus.format: ptb)");
    const int32_t words = collect_constituents(tree->root, 0, true, out);
    BTL_REQUIRE(words == n, tree->origin, ": the tree has ", words, " words, the corpus sentence ", n);
    return out;
  }
  BTL_REQUIRE(s.annotations.size() == s.words.size(), s.origin, ": edge task ", edge_corpus_task_name(task),
              " needs annotated words (corpus.format conllu, conllx or ptb)");
  if (task == EdgeCorpusTask::Entities) return entity_targets(s);
  for (int32_t w = 0; w < n; ++w) {
    const WordAnnotation& a = s.annotations[static_cast<size_t>(w)];
    if (task == EdgeCorpusTask::Pos) {
      BTL_REQUIRE(!a.xpos.empty() && a.xpos != "_", s.origin, ": word ", w + 1, " has no XPOS (edge task pos)");
      out.push_back({w, w + 1, -1, -1, {a.xpos}});
    } else {  // deps
      BTL_REQUIRE(a.head >= 0 && a.head <= n, s.origin, ": word ", w + 1, " has no valid head (edge task deps)");
      const int32_t head = a.head == 0 ? w : a.head - 1;  // jiant: the root points at itself
      out.push_back({w, w + 1, head, head + 1, {a.deprel}});
    }
  }
  return out;
}

namespace {

using nlohmann::json;

std::pair<int32_t, int32_t> read_span(const json& t, const char* key, int32_t words, const std::string& where) {
  const auto it = t.find(key);
  BTL_REQUIRE(it != t.end(), where, ": a target has no \"", key, "\"");
  BTL_REQUIRE(it->is_array() && it->size() == 2 && (*it)[0].is_number_integer() && (*it)[1].is_number_integer(),
              where, ": \"", key, "\" must be [begin, end] (two integers)");
  const int64_t b = (*it)[0].get<int64_t>(), e = (*it)[1].get<int64_t>();
  BTL_REQUIRE(0 <= b && b < e && e <= words, where, ": \"", key, "\" [", b, ", ", e,
              ") is empty or outside the sentence's ", words, " words");
  return {static_cast<int32_t>(b), static_cast<int32_t>(e)};
}

}  // namespace

std::vector<EdgeRecord> read_jiant_edges(const std::string& path) {
  const std::string data = read_text_file(path, "a jiant edge-probing file (JSON lines)", true);
  std::vector<EdgeRecord> out;
  LineSplitter lines(data);
  std::string_view line;
  int two_sided = -1;  // unknown until the first target
  while (lines.next(&line)) {
    if (is_blank(line)) continue;
    const std::string where = cat(path, ":", lines.line_number());
    json j;
    try {
      j = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& e) {
      throw InputError(cat(where, ": malformed JSON (byte ", e.byte, ")"));
    } catch (const json::exception& e) {  // e.g. out_of_range.406: a number too large for a double
      throw InputError(cat(where, ": malformed JSON: ", e.what()));
    }
    BTL_REQUIRE(j.is_object(), where, ": expected a JSON object");
    const auto text = j.find("text");
    BTL_REQUIRE(text != j.end() && text->is_string(), where, ": no \"text\" string");
    EdgeRecord r;
    r.origin = where;
    const std::string whole = text->get<std::string>();
    for (std::string_view w : split(whole, ' '))
      if (!w.empty()) r.words.emplace_back(w);
    BTL_REQUIRE(!r.words.empty(), where, ": \"text\" has no words");
    const auto targets = j.find("targets");
    BTL_REQUIRE(targets != j.end() && targets->is_array(), where, ": no \"targets\" list");
    const int32_t n = static_cast<int32_t>(r.words.size());
    for (const json& t : *targets) {
      BTL_REQUIRE(t.is_object(), where, ": a target is not a JSON object");
      EdgeWordTarget target;
      std::tie(target.span1_begin, target.span1_end) = read_span(t, "span1", n, where);
      const bool has2 = t.contains("span2");
      if (two_sided < 0) two_sided = has2 ? 1 : 0;
      BTL_REQUIRE(has2 == (two_sided == 1), where, ": \"span2\" is on some targets of the file only");
      if (has2) std::tie(target.span2_begin, target.span2_end) = read_span(t, "span2", n, where);
      const auto label = t.find("label");
      BTL_REQUIRE(label != t.end(), where, ": a target has no \"label\"");
      if (label->is_string()) {
        target.labels.push_back(label->get<std::string>());
      } else {
        BTL_REQUIRE(label->is_array(), where, ": \"label\" must be a string or a list of strings");
        for (const json& l : *label) {
          BTL_REQUIRE(l.is_string(), where, ": \"label\" must be a string or a list of strings");
          target.labels.push_back(l.get<std::string>());
        }
      }
      r.targets.push_back(std::move(target));
    }
    out.push_back(std::move(r));
  }
  BTL_REQUIRE(!out.empty(), path, ": no records (expected JSON lines with \"text\" and \"targets\")");
  return out;
}

std::vector<EdgeRecord> coref_edge_records(const std::vector<CorefDocument>& documents) {
  std::vector<EdgeRecord> out;
  for (const CorefDocument& d : documents) {
    std::vector<int> starts = d.sentence_starts;
    if (starts.empty() || starts.front() != 0) starts.insert(starts.begin(), 0);
    starts.push_back(static_cast<int>(d.words.size()));
    for (size_t s = 0; s + 1 < starts.size(); ++s) {
      const int begin = starts[s], end = starts[s + 1];
      std::vector<const Mention*> inside;
      for (const Mention& m : d.mentions)
        if (m.start >= begin && m.end <= end) inside.push_back(&m);
      if (inside.size() < 2) continue;
      std::stable_sort(inside.begin(), inside.end(), [](const Mention* a, const Mention* b) {
        return std::make_pair(a->start, a->end) < std::make_pair(b->start, b->end);
      });
      EdgeRecord r;
      r.origin = d.origin;
      r.words.assign(d.words.begin() + begin, d.words.begin() + end);
      for (size_t j = 1; j < inside.size(); ++j)
        for (size_t i = 0; i < j; ++i)
          r.targets.push_back({inside[j]->start - begin, inside[j]->end - begin, inside[i]->start - begin,
                               inside[i]->end - begin, {inside[i]->entity == inside[j]->entity ? "1" : "0"}});
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::pair<int32_t, int32_t> piece_span(const std::vector<int32_t>& word_ids, int32_t word_begin, int32_t word_end) {
  int32_t first = -1, last = -1;
  for (int32_t k = 0; k < static_cast<int32_t>(word_ids.size()); ++k) {
    const int32_t w = word_ids[static_cast<size_t>(k)];
    if (w >= word_begin && w < word_end) {
      if (first < 0) first = k;
      last = k;
    }
  }
  return first < 0 ? std::make_pair(-1, -1) : std::make_pair(first, last + 1);
}

}  // namespace bertology
