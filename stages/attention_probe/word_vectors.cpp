#include "stages/attention_probe/word_vectors.h"

#include <fstream>
#include <sstream>

#include "pipeline/util/error.h"
#include "stages/attention_probe/attention_probes.h"

namespace bertology {

WordVectors WordVectors::from_model(const std::string& model_dir) {
  WordVectors v;
  v.table_ = model_word_embeddings(model_dir, &v.rows_, &v.dim_);
  return v;
}

WordVectors WordVectors::from_glove(const std::string& path, const std::set<std::string>& needed) {
  std::ifstream in(path);
  BTL_REQUIRE(in.good(), path, ": cannot open the word-vector file (clark.word_vectors)");
  WordVectors v;
  v.glove_ = true;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    if (word.empty()) continue;
    std::vector<float> values;
    float x;
    while (fields >> x) values.push_back(x);
    BTL_REQUIRE(!values.empty() && (v.dim_ == 0 || static_cast<int64_t>(values.size()) == v.dim_), path, ":", number,
                ": expected a word and ", v.dim_ == 0 ? std::string("its vector") : std::to_string(v.dim_) + " numbers");
    v.dim_ = static_cast<int64_t>(values.size());
    if (needed.count(word)) v.glove_table_.emplace(word, std::move(values));
  }
  BTL_REQUIRE(v.dim_ > 0, path, ": no word vectors");
  return v;
}

int64_t WordVectors::table_bytes() const {
  if (!glove_) return static_cast<int64_t>(table_.size() * sizeof(float));
  int64_t bytes = 0;
  for (const auto& [word, values] : glove_table_)
    bytes += static_cast<int64_t>(word.size() + values.size() * sizeof(float) + 64);  // + map node
  return bytes;
}

std::vector<float> WordVectors::sentence(const Sentence& s, const CacheReader::Sequence& seq) const {
  const size_t n = s.words.size(), d = static_cast<size_t>(dim_);
  std::vector<float> out(n * d, 0.f);
  if (glove_) {
    for (size_t w = 0; w < n; ++w) {
      const auto it = glove_table_.find(lower(s.words[w]));
      if (it != glove_table_.end()) std::copy(it->second.begin(), it->second.end(), out.begin() + w * d);
    }
    return out;
  }
  std::vector<int> pieces(n, 0);
  for (size_t t = 0; t < seq.input_ids.size(); ++t) {
    const int w = seq.word_ids[t];
    if (w < 0 || static_cast<size_t>(w) >= n) continue;
    const float* row = table_.data() + static_cast<size_t>(seq.input_ids[t]) * d;
    for (size_t c = 0; c < d; ++c) out[static_cast<size_t>(w) * d + c] += row[c];
    pieces[static_cast<size_t>(w)] += 1;
  }
  for (size_t w = 0; w < n; ++w)
    if (pieces[w] > 1)
      for (size_t c = 0; c < d; ++c) out[w * d + c] /= static_cast<float>(pieces[w]);
  return out;
}

std::string WordVectors::lower(const std::string& word) {
  std::string s = word;
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace bertology
