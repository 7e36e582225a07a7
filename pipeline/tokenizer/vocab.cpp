#include "pipeline/tokenizer/vocab.h"

#include <cstring>
#include <iterator>
#include <sstream>

#include "pipeline/tokenizer/unicode.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// FNV-1a, continuable: hash_bytes(hash_bytes(kFnvOffset, a), b) == hash of a + b. That lets
// find_continuation() hash "##" + piece without building the string.
uint64_t hash_bytes(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

// Mixes the FNV state so the low bits used for the slot index are well distributed.
uint64_t finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

Vocab Vocab::load(const std::string& path) {
  std::string data;
  try {
    data = read_file_bytes(path, "a vocabulary file");
  } catch (const InputError&) {
    throw InputError(cat(path, ": cannot open vocabulary file"));  // the message users have always got
  }

  // Universal newlines, as Python's text mode: "\r\n", "\r" and "\n" each end one line.
  std::vector<std::string> lines;
  size_t start = 0;
  std::u32string scratch;
  auto push = [&](size_t end) {
    std::string_view line(data.data() + start, end - start);
    scratch.clear();
    unicode::decode_utf8(line, &scratch, cat(path, ":", lines.size() + 1));  // validates only
    lines.emplace_back(line);
  };
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n') {
      push(i);
      start = i + 1;
    } else if (data[i] == '\r') {
      push(i);
      if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < data.size()) push(data.size());  // last line without a line break
  return from_lines(std::move(lines), path);
}

Vocab Vocab::from_lines(std::vector<std::string> lines, std::string source) {
  BTL_REQUIRE(lines.size() < static_cast<size_t>(INT32_MAX), source, ": too many tokens (",
              lines.size(), ")");
  Vocab v;
  v.tokens_ = std::move(lines);
  v.source_ = std::move(source);
  v.build_index();
  return v;
}

void Vocab::build_index() {
  size_t cap = 16;
  while (cap < tokens_.size() * 2) cap *= 2;  // load factor <= 0.5 keeps probes short
  slots_.assign(cap, -1);
  mask_ = cap - 1;
  unique_ = 0;
  for (size_t id = 0; id < tokens_.size(); ++id) {
    const std::string& tok = tokens_[id];
    uint64_t slot = finish(hash_bytes(kFnvOffset, tok)) & mask_;
    while (true) {
      int32_t& s = slots_[slot];
      if (s < 0) {
        s = static_cast<int32_t>(id);
        ++unique_;
        break;
      }
      if (tokens_[static_cast<size_t>(s)] == tok) {
        s = static_cast<int32_t>(id);  // a later duplicate wins, like a Python dict
        break;
      }
      slot = (slot + 1) & mask_;
    }
  }
}

int32_t Vocab::lookup(uint64_t hash, std::string_view prefix, std::string_view rest) const {
  uint64_t slot = finish(hash) & mask_;
  const size_t len = prefix.size() + rest.size();
  while (true) {
    const int32_t id = slots_[slot];
    if (id < 0) return -1;
    const std::string& tok = tokens_[static_cast<size_t>(id)];
    if (tok.size() == len && tok.compare(0, prefix.size(), prefix) == 0 &&
        (rest.empty() || std::memcmp(tok.data() + prefix.size(), rest.data(), rest.size()) == 0)) {
      return id;
    }
    slot = (slot + 1) & mask_;
  }
}

int32_t Vocab::find(std::string_view token) const {
  return lookup(hash_bytes(kFnvOffset, token), {}, token);
}

int32_t Vocab::find_continuation(std::string_view piece) const {
  static constexpr std::string_view kPrefix = "##";
  return lookup(hash_bytes(hash_bytes(kFnvOffset, kPrefix), piece), kPrefix, piece);
}

const std::string* Vocab::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return nullptr;
  const std::string& tok = tokens_[static_cast<size_t>(id)];
  return find(tok) == id ? &tok : nullptr;
}

}  // namespace bertology
