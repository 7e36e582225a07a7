// Coreference documents for the coref_heads stage (Clark et al. 2019 §4.3, docs/clark2019.md):
// words, sentences, optional tags and dependency heads, and gold mentions with their entity, head
// word and type. Torch-free. Implemented in coref_readers.cpp (the two formats),
// mention_rules.cpp (head and type rules, the pronoun list) and coref_document.cpp (the rest).
//
// Formats (read_coref_documents picks one by file name, then by content):
//  - GUM-style CoNLL-U (".conllu"): a document starts at "# newdoc id = X"; blank lines end
//    sentences; word lines have 10 tab-separated columns and integer IDs 1, 2, 3, ... per sentence
//    (multiword ranges "3-4" and empty nodes "8.1" are skipped). MISC "Entity=" holds CorefUD
//    brackets: "(12-person-...-coref" opens a mention of entity 12, "12)" closes one, and
//    "(12-abstract-...)" is a one-word mention; several follow each other on one word, e.g.
//    "(3-place-...(4-person-...)" or "4)3)". The entity is the number after "(". UPOS, XPOS and
//    HEAD are kept (HEAD "_" counts as unknown).
//  - CoNLL-2012 (LitBank; OntoNotes "*_conll" files): "#begin document (NAME); part P" ...
//    "#end document", blank lines between sentences; token lines have at least 12 columns
//    separated by tabs (LitBank) or, on lines without a tab, by runs of spaces (OntoNotes), with
//    the token index within the sentence (0-based) in column 3, the word in column 4, the POS tag
//    (kept as XPOS; LitBank has "_") in column 5 and the coreference field in the last column:
//    "(N)" one-word mention, "(N" open, "N)" close, several joined by "|"; "_", "-" or empty =
//    none. There is no parse: heads are -1 and UPOS is "_". The document id is NAME, with
//    "_partP" added when P is not 0 (an OntoNotes file holds several parts of one document).
// In both formats the brackets of one word are applied left to right (LitBank writes "4)|(4" for
// a mention of 4 ending where the next one starts), and a close matches the most recent still-open
// mention of the same entity, so nested mentions of one entity pair up innermost first.
//
// Errors throw InputError "FILE:LINE: what is wrong" (unbalanced or malformed brackets, bad
// columns or IDs, HEAD out of range, a missing "#end document", a document without words); a file
// with no document or no mention at all is an error too, since the stage could measure nothing.
//
// Mention head (the paper leaves it open, REPLICATION.md §2.5; this is our choice):
//  - with a parse (GUM): the word of the span whose head lies outside the span (root counts as
//    outside); the first such word when there are several (a span crossing sentences);
//  - without one (every word of the span has head -1, as in LitBank): cut the span at its first
//    word, after the first, that is a preposition (of, in, on, at, for, with, from, to, by, about,
//    into, upon, ...), a relative word (who, whom, whose, which, that, where, when) or a token
//    without letters or digits (",", "(", quotes, dashes), and take the last word of what remains;
//    when that word is the possessive "'s" (or "’s") the word before it is taken. Examples:
//    "a single man in possession of a good fortune" -> man, "Sir Walter Elliot , of Kellynch
//    Hall" -> Elliot, "the committee 's" -> committee.
//
// Mention type (of the head word, first rule that applies):
//  - Pronoun: the word, lower-cased, is in english_pronoun()'s closed list (personal, possessive,
//    reflexive, demonstrative, archaic thou/thee/ye), or its UPOS is PRON or its XPOS PRP / PRP$;
//  - with tags (UPOS or else XPOS present): Proper for UPOS PROPN / XPOS NNP or NNPS, else Nominal;
//  - without tags (LitBank): Proper when the word starts with an upper-case ASCII letter and
//    either is not in sentence-initial position (first word of its sentence, or right after a
//    token without letters or digits such as an opening quote) or the same form also occurs in a
//    non-initial position elsewhere in the document ("Bingley" opening a sentence counts because
//    "Mr. Bingley" occurs); Nominal otherwise. So a name that only ever opens sentences (or
//    follows ";") is taken for a Nominal: the price of not calling every sentence start a name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

/// Mention types of the paper's Table 2 columns.
enum class MentionType { Pronoun, Proper, Nominal };

/// "pronoun", "proper", "nominal" (the CSV column names of the coref_heads stage).
const char* mention_type_name(MentionType type);

/// One gold mention.
struct Mention {
  int start = 0;   ///< first word, document word index
  int end = 0;     ///< one past the last word: the span is [start, end)
  int entity = 0;  ///< entity (chain) id as written in the file, unique within the document
  int head = 0;    ///< document word index of the mention's head word (see the head rule above)
  MentionType type = MentionType::Nominal;
};

/// One document. Per-word vectors all have words.size() entries, except that upos and xpos may
/// be empty for documents built in code (= no tags).
struct CorefDocument {
  std::string id;                         ///< "# newdoc id" / "#begin document" name
  std::string origin;                     ///< "FILE:LINE" of the document's first line
  std::vector<std::string> words;
  std::vector<int> sentence_starts;       ///< word index of each sentence's first word, ascending
  std::vector<std::string> upos, xpos;    ///< tags as written; "_" = unknown
  std::vector<int> heads;                 ///< 0-based document word index of the dependency
                                          ///< head, -1 = root or unknown (LitBank has no parse)
  std::vector<Mention> mentions;          ///< sorted by (start, end, entity)
};

/// The coreference files that the config key `key` names (clark.coref_corpus, edge.coref_corpus):
/// files as given, folders by their .conll, .gold_conll (OntoNotes "*_gold_conll") and .conllu
/// files, sorted. InputError naming `key` for a missing path or a folder without such files.
std::vector<std::string> coref_corpus_files(const std::vector<std::string>& paths, const std::string& key);

/// Reads every document of a GUM-style CoNLL-U or CoNLL-2012 file (see above for the choice and
/// the errors). Mentions get their head and type from mention_head() and mention_type().
std::vector<CorefDocument> read_coref_documents(const std::string& path);

/// The first `num_words` words of `doc` (all of it when it is shorter) with the sentences that
/// start there and only the mentions lying wholly inside (head included); heads pointing past the
/// cut become -1. Mention heads and types are kept as computed on the whole document.
CorefDocument truncate_document(const CorefDocument& doc, int num_words);

/// The head word of the span [start, end) of `doc` by the rule above (uses words and heads).
/// Requires 0 <= start < end <= doc.words.size().
int mention_head(const CorefDocument& doc, int start, int end);

/// The type of a mention whose head word is `head`, by the rule above (uses words, tags and
/// sentence_starts).
MentionType mention_type(const CorefDocument& doc, int head);

/// Agreement features of a pronoun for the rule-based baseline's number/gender/person sieve.
struct PronounFeatures {
  enum Number : uint8_t { kAnyNumber, kSingular, kPlural };
  enum Gender : uint8_t { kAnyGender, kMasculine, kFeminine, kNeuter };
  Number number = kAnyNumber;  ///< "you" is either
  Gender gender = kAnyGender;  ///< first/second person and plurals have none
  int person = 0;              ///< 1, 2 or 3
};

/// The features of `word` (ASCII case ignored) when it is in the closed list of English
/// personal, possessive, reflexive and demonstrative pronouns (I ... themselves, this, that,
/// these, those, thou, thee, thy, thine, thyself, ye); nullptr otherwise.
const PronounFeatures* english_pronoun(std::string_view word);

/// `s` with ASCII letters lower-cased (other bytes, UTF-8 included, unchanged).
std::string ascii_lower(std::string_view s);

}  // namespace bertology
