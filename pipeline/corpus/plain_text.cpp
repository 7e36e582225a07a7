// Plain text: one sentence per line, tokenized later from the raw text.
//
// Blank lines are skipped rather than kept as empty sentences: an empty sentence has no words to
// extract activations for, and blank lines between paragraphs are common. `origin` still names
// the real line, so a sentence can be found in the file.
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/corpus/readers.h"

namespace bertology {
namespace corpus_internal {

std::vector<Sentence> read_plain_text(const ReaderInput& in) {
  std::vector<Sentence> out;
  LineSplitter lines(in.data);
  std::string_view line;
  while (static_cast<int64_t>(out.size()) < in.max_sentences && lines.next(&line)) {
    if (is_blank(line)) continue;
    Sentence s;
    s.text.assign(line);  // byte for byte: the tokenizer normalizes and validates
    s.pretokenized = false;
    s.origin = origin(in.path, lines.line_number());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace corpus_internal
}  // namespace bertology
