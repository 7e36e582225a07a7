// Filling a viewer page (view_page.h) from what bertology stores: a complete cache entry, a
// `bertology encode` file, and the tables the Clark stages wrote about each head.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/view/view_page.h"

namespace bertology {

/// Which sentences a page shows, and at which level.
struct ViewSelection {
  std::vector<int64_t> sentences;  ///< 0-based corpus sentence (encode: input line) indices; empty = grep or the first ones
  std::string grep;                ///< with no `sentences`: those whose text contains this (case-sensitive)
  int64_t max_sentences = 10;      ///< at most this many from grep or from the start (>= 1)
  bool word_level = false;         ///< Clark's word-level maps (word_attention) instead of wordpieces
  WordFrom word_from = WordFrom::Mean;  ///< the FROM side of the word level: mean of a word's pieces' rows, or first
  std::string origin = "--sentences";   ///< names the option or key the indices came from, for errors
};

/// A page of the sentences `selection` names from a complete cache entry (every stored attention
/// layer and head). Wordpiece tokens are the vocabulary's (`tokenizer` of the entry's model); word
/// units are the corpus words, specials as their own units. Gold arcs come from the corpus's
/// dependency annotations (wordpiece level: between words' first pieces).
/// InputError (one line naming the entry or the option) when the entry stores no attention, an
/// index is out of range or its sentence was skipped as overlong, or grep matches nothing.
ViewPage view_from_cache(const CacheReader& reader, const BertTokenizer& tokenizer, const ViewSelection& selection);

/// A page of the sentences of a `bertology encode` file (cache/encode_file.h). Tokens come from the
/// vocabulary of the model the file names when it is readable (else "id:N"); word units are the
/// word's pieces joined without "##". InputError naming the file when it is not such a file,
/// stores no attention, or an index is out of range.
ViewPage view_from_encode_file(const std::string& path, const ViewSelection& selection);

/// Head notes from the Clark stages' tables, each optional (nullptr: that stage has not run):
/// attention_patterns/patterns.csv, dependency_heads/heads.csv with relations.csv (a head's best
/// relation is the one where its accuracy beats that relation's best offset baseline by the most;
/// "all" and relations without a baseline are left out), head_clusters/embedding.csv.
std::vector<ViewHeadNote> head_notes(const CsvFile* patterns, const CsvFile* heads, const CsvFile* relations,
                                     const CsvFile* embedding);

/// head_notes() from the tables under `model_results_dir` (<study.output_dir>/<model>) that exist.
std::vector<ViewHeadNote> head_notes_from_dir(const std::string& model_results_dir);

}  // namespace bertology
