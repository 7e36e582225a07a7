#include "pipeline/tokenizer/wordpiece.h"

#include <array>

#include "pipeline/tokenizer/unicode.h"
#include "pipeline/util/error.h"

namespace bertology {

WordpieceTokenizer::WordpieceTokenizer(std::shared_ptr<const Vocab> vocab, std::string unk_token,
                                       size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)),
      unk_token_(std::move(unk_token)),
      unk_id_(vocab_->find(unk_token_)),
      max_chars_(max_input_chars_per_word) {
  BTL_REQUIRE(unk_id_ >= 0, vocab_->source(), ": unknown token '", unk_token_,
              "' is not in the vocabulary");
  BTL_REQUIRE(max_chars_ <= 4096, "max_input_chars_per_word too large: ", max_chars_);
}

std::vector<std::string> WordpieceTokenizer::tokenize(std::string_view text) const {
  const std::u32string cps = unicode::decode_utf8(text, "tokenizer input");
  std::vector<std::string> tokens;
  std::vector<int32_t> ids;
  size_t start = 0;
  for (size_t i = 0; i <= cps.size(); ++i) {
    if (i == cps.size() || unicode::is_python_space(cps[i])) {
      if (i > start) tokenize_word(std::u32string_view(cps).substr(start, i - start), &tokens, &ids);
      start = i + 1;
    }
  }
  return tokens;
}

size_t WordpieceTokenizer::tokenize_word(std::u32string_view word, std::vector<std::string>* tokens,
                                         std::vector<int32_t>* ids) const {
  const size_t n = word.size();
  if (n > max_chars_) {  // HF counts code points (len(list(token)))
    tokens->push_back(unk_token_);
    ids->push_back(unk_id_);
    return 1;
  }
  // UTF-8 of the word plus the byte offset of every code point boundary, so candidate pieces are
  // string_views into one buffer (no allocation per lookup; short words stay in the SSO buffer).
  std::string bytes;
  std::array<uint32_t, 4097> offset_storage;
  uint32_t* offsets = offset_storage.data();
  for (size_t i = 0; i < n; ++i) {
    offsets[i] = static_cast<uint32_t>(bytes.size());
    unicode::append_utf8(word[i], &bytes);
  }
  offsets[n] = static_cast<uint32_t>(bytes.size());

  const size_t first = tokens->size();
  size_t start = 0;
  while (start < n) {
    size_t end = n;
    int32_t id = -1;
    for (; end > start; --end) {
      const std::string_view piece(bytes.data() + offsets[start], offsets[end] - offsets[start]);
      id = start == 0 ? vocab_->find(piece) : vocab_->find_continuation(piece);
      if (id >= 0) break;
    }
    if (id < 0) {  // no piece matches at `start`: the whole word is unknown
      tokens->resize(first);
      ids->resize(first);
      tokens->push_back(unk_token_);
      ids->push_back(unk_id_);
      return 1;
    }
    const std::string_view piece(bytes.data() + offsets[start], offsets[end] - offsets[start]);
    if (start == 0) {
      tokens->emplace_back(piece);
    } else {
      std::string t;
      t.reserve(piece.size() + 2);
      t.append("##").append(piece);
      tokens->push_back(std::move(t));
    }
    ids->push_back(id);
    start = end;
  }
  return tokens->size() - first;
}

}  // namespace bertology
