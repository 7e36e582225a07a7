// Readers for the multiple-choice reading-comprehension datasets of Si et al. (2019): MCTest
// (MC160, MC500), DREAM, MCScript and RACE. Torch-free. (MCScript2.0 is not staged here; if its
// XML has the same elements, read_mcscript reads it; not checked.)
//
// Every reader returns the questions in file order (RACE: sorted path order, then file order),
// each with passage, question, options and the 0-based index of the correct option; an empty
// dataset is an error. Malformed input throws InputError with one line naming the file and the
// line ("FILE:LINE: what") or, for JSON, the key path ("FILE: key [3][1][0].answer: what").
// Files are UTF-8 (a leading byte-order mark is skipped); bytes are kept as they are.
//
// Per format:
//  - mctest: `read_mctest("DIR/mc160.dev.tsv")` reads the .tsv and the .ans beside it (same stem,
//    "mc160.dev.ans"; the official test answers ship in a separate archive and must be put
//    there). TSV: one story per line, 23 tab-separated fields: id, properties, story, then four
//    times question + answers A-D. The story's "\newline" and "\tab" escapes (the README: authors'
//    newlines and tabs, escaped to keep the TSV intact) become "\n" and "\t" again; BERT's
//    tokenizer reads both as spaces, and sentence-level code keeps the paragraph breaks.
//    Questions lose their "one: " / "multiple: " prefix (how many story sentences the author says
//    the answer needs; not model input), which every question must have. ANS: line L holds the
//    four answer letters (A-D, tab-separated) of story L. Lines end in "\r\n" in the release;
//    "\n" works too. A blank line is an error in both files (the files pair up line by line).
//    id "<story id>-<q>", q = 0..3; origin "FILE.tsv:LINE". 4 options.
//  - dream: a JSON list of dialogues, each [[turn, ...], [{"question", "choice": [3 strings],
//    "answer"}, ...], "dialogue id"]. Passage = the turns joined with "\n" (speaker prefixes such
//    as "M: " kept); answer = the position of "answer" in "choice", which must hold it exactly
//    once. id "<dialogue id>-<q>", q 0-based; origin "FILE:[d][1][q]". 3 options.
//  - mcscript: XML <data><instance id><text>passage</text><questions><question id text>
//    <answer id text correct="True|False"/>...</question>...</questions></instance>...</data>.
//    Exactly 2 answers per question, exactly one correct="True"; other attributes (scenario,
//    type) are ignored, other elements are errors. The text is kept as written (entities
//    decoded). The XML subset read: elements, attributes, the five predefined entities and
//    &#N; / &#xN;, CDATA, comments, processing instructions and a DOCTYPE (skipped; entities it
//    might declare are not supported). id "<instance id>-<question id>"; origin "FILE:LINE" of
//    the <question>. 2 options.
//  - race: `read_race(DIR)` reads every *.txt file below DIR (recursively, sorted by path), each
//    one JSON object {"article", "questions": [...], "options": [[4 strings], ...], "answers":
//    ["A".."D", ...], "id"}; the three lists must have equal lengths. A cloze question's blank is
//    "_" (see filled_question). id "<id>-<q>" (without "id", the path relative to DIR), q
//    0-based; origin "FILE:questions[q]". 4 options. Point it at RACE/dev (both levels), or
//    RACE/dev/middle for RACE-M alone.
#pragma once

#include <string>

#include "pipeline/mcrc/mc_example.h"

namespace bertology {

McDataset read_mctest(const std::string& tsv_path);
McDataset read_dream(const std::string& json_path);
McDataset read_mcscript(const std::string& xml_path);
McDataset read_race(const std::string& dir);

/// One of the readers above by name: "mctest", "dream", "mcscript" or "race"; anything else is
/// an InputError.
McDataset read_mc_dataset(const std::string& path, const std::string& format);

}  // namespace bertology
