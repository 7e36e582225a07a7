// Corpora as the activation cache sees them: sentences in corpus order, each with its words
// (pre-tokenized) or raw text, optional per-word annotations and per-sentence fields.
//
// Readers live beside this header (conllu.cpp, open_sesame.cpp, plain_text.cpp, jsonl.cpp,
// ptb_corpus.cpp);
// `read_corpus` picks one by format. Malformed input throws InputError "FILE:LINE: what is wrong";
// an empty corpus is an error.
//
// Conventions shared by all formats:
//  - the file is read once; `content_sha256` hashes exactly those bytes and the reader parses the
//    same buffer, so the hash always describes what was parsed;
//  - lines end with "\n"; a "\r" before it is dropped (Windows files), a last line without "\n"
//    counts, and a UTF-8 byte-order mark at the start of the file is skipped. Other bytes are kept
//    as they are (UTF-8 validity is the tokenizer's to report);
//  - a blank line is one that is empty or holds only spaces and tabs. Blank lines are skipped
//    (CoNLL: they end a sentence), and line numbers in `origin` and messages still count them;
//  - `max_sentences` stops reading early, so errors after that point are not seen.
//
// Per format (what lands where):
//  - conllu: one sentence per blank-line-separated block. Words = FORM of the integer-ID lines;
//    multiword-token ranges ("3-4") and empty nodes ("8.1") are skipped. annotations[i] gets
//    LEMMA, UPOS, XPOS, HEAD, DEPREL, MISC as written ("_" is kept as "_"). "# text = T" sets
//    `text`; every other "# key = value" comment goes to fields[key] (e.g. "sent_id",
//    "newdoc id"; the last one wins); comments without "=" ("# newpar") are ignored. Checks:
//    10 tab-separated columns, word IDs 1, 2, 3, ... in each sentence, non-empty FORM, HEAD an
//    integer in [0, number of words]. HEAD may be "_" (unspecified, as the CoNLL-U spec allows,
//    e.g. tokenizer-only output) but then for every word of the sentence; head = -1 there.
//  - conllx: the same with CPOSTAG -> upos and POSTAG -> xpos; PHEAD/PDEPREL are dropped, misc
//    stays empty. Range and decimal IDs are CoNLL-U only and are errors here.
//  - open_sesame (Lin et al. 2019): "sentence<TAB>target" or
//    "sentence<TAB>target<TAB>subject<TAB>distractors"; words = the sentence split on single
//    spaces (also kept in `text`), fields "target", "subject", "distractors" hold the raw
//    index strings (0-based word positions separated by spaces; trailing spaces occur in the
//    data). Every index must lie in [0, number of words); the target must name at least one.
//    When FILE.pos exists, line L of it holds the tags of line L of FILE in its first field, one
//    per word; they go to annotations[i].xpos (other annotation members stay empty / -1). The
//    .pos file does not enter `content_sha256`: it cannot change the activations.
//  - text: one sentence per non-blank line, kept byte for byte in `text`; pretokenized = false.
//  - jsonl: one JSON object per non-blank line with "words" (non-empty list of non-empty
//    strings; pretokenized) or "text" (non-empty string; pretokenized = false). With both,
//    "words" is used and "text" is kept in `text`. Other keys with string values go to fields
//    as the string, with number values as their JSON text (re-serialized: 1e3 -> "1000.0");
//    keys with other values (bool, null, lists, objects) are ignored.
//  - ptb: Penn Treebank bracketed trees (ptb.h), one sentence per tree. `path` may be a file, a
//    directory (every .mrg file below it) or a glob(3) pattern such as "wsj/0[2-9]/*.mrg"
//    (ptb_input_files() says exactly which files); files are read in sorted path order. -NONE-
//    empty elements are dropped; words are the remaining leaves as written (-LRB-, `` stay);
//    annotations[i] gets xpos = upos = the PTB tag (CoNLL-X output of `bertology convert` puts it
//    in both columns too), head and deprel from the basic Stanford Dependencies conversion
//    (ptb_to_dep.h: partmod / infmod, not vmod); lemma and misc stay empty, `text` and `fields`
//    too. `origin` is "FILE:LINE" of the tree's opening bracket. `content_sha256`: for one file
//    the sha256 of its bytes as for every format; for several, of the concatenation over the
//    sorted files of "NAME\nSIZE\n" and the bytes, NAME the path relative to the files' common
//    parent directory (so moving the corpus keeps the hash). All files are hashed even when
//    `max_sentences` stops parsing early. `Corpus::path` keeps the pattern as given.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bertology {

/// Per-word annotations from CoNLL-U / CoNLL-X (empty strings / -1 when the format lacks them).
struct WordAnnotation {
  std::string lemma;   ///< LEMMA column
  std::string upos;    ///< UPOS (CoNLL-U) or CPOSTAG (CoNLL-X)
  std::string xpos;    ///< XPOS (CoNLL-U) or POSTAG (CoNLL-X)
  int head = -1;       ///< 1-based head word index, 0 = root, -1 = unknown
  std::string deprel;  ///< dependency relation label
  std::string misc;    ///< MISC column (CoNLL-U), e.g. "SpaceAfter=No|Entity=(e1"
};

/// One sentence (or one input line).
struct Sentence {
  int64_t index = 0;                        ///< 0-based position in the corpus
  std::vector<std::string> words;           ///< words when pre-tokenized; empty for raw text
  std::string text;                         ///< raw text (plain text, JSON "text", CoNLL-U "# text =")
  bool pretokenized = true;                 ///< true: tokenize `words` word by word; false: tokenize `text`
  std::vector<WordAnnotation> annotations;  ///< one per word when the format has them, else empty
  std::map<std::string, std::string> fields;  ///< per-sentence fields: "sent_id", Open Sesame "target", ...
  std::string origin;                       ///< "FILE:LINE" of the sentence's first line, for messages
};

/// Supported formats (config key `corpus.format`).
enum class CorpusFormat { Conllu, Conllx, OpenSesame, PlainText, JsonLines, Ptb };

/// Parses "conllu", "conllx", "open_sesame", "text", "jsonl", "ptb"; InputError otherwise.
CorpusFormat parse_corpus_format(const std::string& name);
const char* corpus_format_name(CorpusFormat format);

/// A whole corpus in memory (sentences only; activations are never held whole).
struct Corpus {
  std::string path;                 ///< file it came from (ptb: the file, directory or pattern given)
  CorpusFormat format = CorpusFormat::PlainText;
  std::vector<Sentence> sentences;  ///< in file order, index = position
  std::string content_sha256;       ///< sha256 of the file bytes (part of the cache key)
};

/// Reads `path` in `format`. `max_sentences` > 0 keeps only the first ones (quick runs).
/// For ptb, `path` may also be a directory or a glob pattern (see the file comment).
Corpus read_corpus(const std::string& path, CorpusFormat format, int64_t max_sentences = 0);

}  // namespace bertology
