// Edge-probing tasks (Tenney et al. 2019) as word-span targets, from the data a user can get:
// annotations of the run's corpus (POS, dependency arcs, PTB constituents), coreference chains
// (LitBank / GUM, pipeline/coref), and jiant's own JSON-lines files (any task: SRL, SPR,
// relations, OntoNotes entities) for users who have them. Torch-free; docs/tenney2019.md.
//
// jiant's format (jiant probing/README.md), one JSON object per line:
//   {"text": "The cat sat .", "targets": [{"span1": [0, 2], "span2": [2, 3], "label": "nsubj"}], "info": {...}}
// `text` is split on single spaces into words; spans are [begin, end) word indices; `label` is a
// string or a list of strings (multi-label); span2 is present in every target of a two-sided task.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/corpus/corpus.h"
#include "pipeline/corpus/ptb.h"

namespace bertology {

struct CorefDocument;

/// A target over words: spans [begin, end) of the sentence's words, span 2 optional (-1).
struct EdgeWordTarget {
  int32_t span1_begin = 0, span1_end = 0;
  int32_t span2_begin = -1, span2_end = -1;
  std::vector<std::string> labels;
};

/// A sentence (or a segment of a document) and its targets.
struct EdgeRecord {
  std::vector<std::string> words;
  std::vector<EdgeWordTarget> targets;
  std::string origin;  ///< "FILE:LINE" for messages
};

/// Tasks built from the run's corpus annotations:
///  pos:    every word → its XPOS (PTB tag; CoNLL-U column 5, PTB preterminals);
///  deps:   every word → span 1 = the word (dependent), span 2 = its head, label = the relation
///          as written (with subtypes, "nmod:poss"); the root's span 2 is itself (label "root"),
///          as jiant's ud_to_json.py;
///  consts: every non-terminal node of a PTB tree (not the preterminals, not the file's wrapper
///          bracket / ROOT / TOP) → its category without function tags, one target per node (a
///          unary chain gives several targets of one span), single-word constituents included:
///          jiant's extract_ontonotes_all.py (nonterminals = subtrees of height > 1);
///  entities: every entity mention of a CorefUD-style MISC `Entity=` annotation (GUM) lying inside
///          the sentence → its entity type, the field after the id: "(12-person-new-...)" is a
///          person. Brackets as pipeline/coref reads them: "(ID-TYPE-..." opens, "ID)" closes the
///          most recent open mention of ID, "(ID-TYPE-...)" is one word; a mention still open at
///          the end of the sentence (crossing sentences) is not a target.
enum class EdgeCorpusTask { Pos, Deps, Consts, Entities };
/// "pos", "deps", "consts", "entities"; InputError naming edge.tasks otherwise.
EdgeCorpusTask parse_edge_corpus_task(const std::string& name);
const char* edge_corpus_task_name(EdgeCorpusTask task);
bool edge_task_two_sided(EdgeCorpusTask task);

/// The targets of `task` in `sentence` (`tree`: its PTB tree, required for consts). InputError
/// naming the sentence's origin when the annotations the task needs are missing.
std::vector<EdgeWordTarget> corpus_edge_targets(EdgeCorpusTask task, const Sentence& sentence, const PtbTree* tree);

/// Every record of a jiant JSON-lines file. InputError "FILE:LINE: what" for a malformed line, a
/// missing text/targets/span1/label, a span outside [0, words] or empty, span2 on some targets
/// only, and for a file without records.
std::vector<EdgeRecord> read_jiant_edges(const std::string& path);

/// Coreference as span pairs, as jiant's OntoNotes conversion (extract_ontonotes_all.py): one
/// record per sentence with at least two mentions lying inside it; every pair of its mentions is
/// a target, label "1" when they belong to one entity, else "0". Mentions are ordered by (start,
/// end); span 1 is the later mention of a pair, span 2 the earlier (jiant's order is a set's).
std::vector<EdgeRecord> coref_edge_records(const std::vector<CorefDocument>& documents);

/// The wordpiece range [begin, end) of words [word_begin, word_end) in a sequence whose pieces
/// have `word_ids` (-1 = special); {-1, -1} when none of the words has a piece (truncated away).
std::pair<int32_t, int32_t> piece_span(const std::vector<int32_t>& word_ids, int32_t word_begin, int32_t word_end);

}  // namespace bertology
