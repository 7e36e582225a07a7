#include "pipeline/tokenizer/bert_tokenizer.h"

#include <utility>

#include "pipeline/tokenizer/unicode.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace {

std::shared_ptr<const Vocab> share(Vocab vocab) {
  return std::make_shared<const Vocab>(std::move(vocab));
}

// Id of a special token, which must be a non-empty vocabulary entry.
int32_t special_id(const Vocab& vocab, const std::string& token, const char* field) {
  BTL_REQUIRE(!token.empty(), vocab.source(), ": ", field, " is empty");
  const int32_t id = vocab.find(token);
  BTL_REQUIRE(id >= 0, vocab.source(), ": special token '", token, "' (", field,
              ") is not in the vocabulary");
  return id;
}

// `vocab`, after checking that it holds `token` (for the special-token error message).
std::shared_ptr<const Vocab> checked(std::shared_ptr<const Vocab> vocab, const std::string& token,
                                     const char* field) {
  special_id(*vocab, token, field);
  return vocab;
}

}  // namespace

BertTokenizer::BertTokenizer(Vocab vocab, TokenizerOptions options)
    : vocab_(share(std::move(vocab))),
      options_(std::move(options)),
      basic_(options_.do_lower_case, options_.never_split, options_.tokenize_chinese_chars,
             options_.strip_accents),
      wordpiece_(checked(vocab_, options_.unk_token, "unk_token"), options_.unk_token),
      unk_id_(wordpiece_.unk_id()),
      cls_id_(special_id(*vocab_, options_.cls_token, "cls_token")),
      sep_id_(special_id(*vocab_, options_.sep_token, "sep_token")),
      pad_id_(special_id(*vocab_, options_.pad_token, "pad_token")),
      mask_id_(special_id(*vocab_, options_.mask_token, "mask_token")) {
  // HF all_special_tokens: SPECIAL_TOKENS_ATTRIBUTES order, duplicates removed. The order matters
  // for the lower-casing regex (first alternative wins) when one token is a prefix of another.
  for (const std::string* tok : {&options_.unk_token, &options_.sep_token, &options_.pad_token,
                                 &options_.cls_token, &options_.mask_token}) {
    std::u32string cps = unicode::decode_utf8(*tok, "special token");
    if (special_set_.contains(cps)) continue;
    special_set_.insert(cps);
    trie_.add(cps);
    specials_.push_back(std::move(cps));
  }
  basic_never_split_ = basic_.never_split();
  for (const std::u32string& s : specials_) basic_never_split_.insert(s);
}

void BertTokenizer::lower_outside_specials(std::u32string_view text, std::u32string* out) const {
  out->reserve(out->size() + text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char32_t cp = text[i];
    bool matched = false;
    for (const std::u32string& s : specials_) {
      if (s[0] == cp && text.compare(i, s.size(), s) == 0) {
        out->append(s);
        i += s.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (cp == U'\n') {
      out->push_back(cp);  // `.` in HF's regex does not match a newline; it is left as is
    } else {
      unicode::append_lower_char(cp, out);  // one character at a time: no Final_Sigma context
    }
    ++i;
  }
}

void BertTokenizer::append(std::string_view text, int32_t fixed_word, Encoding* out) const {
  std::u32string cps;
  unicode::decode_utf8(text, &cps, "tokenizer input");
  std::u32string lowered;
  std::u32string_view src = cps;
  if (options_.do_lower_case) {
    lower_outside_specials(cps, &lowered);
    src = lowered;
  }

  WordList words;
  std::string utf8;
  for (const auto& [begin, end] : trie_.split(src)) {
    const std::u32string_view segment = src.substr(begin, end - begin);
    if (special_set_.contains(segment)) {
      const int32_t word = fixed_word >= 0 ? fixed_word : out->num_words++;
      utf8.clear();
      unicode::append_utf8(segment, &utf8);
      out->ids.push_back(vocab_->find(utf8));  // present: checked in the constructor
      out->tokens.push_back(utf8);
      out->word_ids.push_back(word);
      continue;
    }
    words.clear();
    basic_.tokenize(segment, basic_never_split_, &words);
    for (size_t w = 0; w < words.size(); ++w) {
      const int32_t word = fixed_word >= 0 ? fixed_word : out->num_words++;
      size_t count;
      if (basic_.never_split().contains(words[w])) {
        utf8.clear();
        unicode::append_utf8(words[w], &utf8);
        const int32_t id = vocab_->find(utf8);
        out->ids.push_back(id >= 0 ? id : unk_id_);
        out->tokens.push_back(utf8);
        count = 1;
      } else {
        count = wordpiece_.tokenize_word(words[w], &out->tokens, &out->ids);
      }
      out->word_ids.insert(out->word_ids.end(), count, word);
    }
  }
}

std::vector<std::string> BertTokenizer::tokenize(std::string_view text) const {
  Encoding enc;
  append(text, -1, &enc);
  return std::move(enc.tokens);
}

Encoding BertTokenizer::encode_text(std::string_view text, bool add_special_tokens) const {
  Encoding enc;
  if (add_special_tokens) {
    enc.tokens.push_back(options_.cls_token);
    enc.ids.push_back(cls_id_);
    enc.word_ids.push_back(-1);
  }
  append(text, -1, &enc);
  if (add_special_tokens) {
    enc.tokens.push_back(options_.sep_token);
    enc.ids.push_back(sep_id_);
    enc.word_ids.push_back(-1);
  }
  return enc;
}

Encoding BertTokenizer::encode_words(const std::vector<std::string>& words,
                                     bool add_special_tokens) const {
  Encoding enc;
  BTL_REQUIRE(words.size() < static_cast<size_t>(INT32_MAX), "encode_words: too many words");
  if (add_special_tokens) {
    enc.tokens.push_back(options_.cls_token);
    enc.ids.push_back(cls_id_);
    enc.word_ids.push_back(-1);
  }
  for (size_t i = 0; i < words.size(); ++i) append(words[i], static_cast<int32_t>(i), &enc);
  enc.num_words = static_cast<int32_t>(words.size());
  if (add_special_tokens) {
    enc.tokens.push_back(options_.sep_token);
    enc.ids.push_back(sep_id_);
    enc.word_ids.push_back(-1);
  }
  return enc;
}

int32_t BertTokenizer::token_to_id(std::string_view token) const {
  const int32_t id = vocab_->find(token);
  return id >= 0 ? id : unk_id_;
}

const std::string& BertTokenizer::id_to_token(int32_t id) const {
  const std::string* tok = vocab_->token(id);
  return tok ? *tok : options_.unk_token;
}

}  // namespace bertology
