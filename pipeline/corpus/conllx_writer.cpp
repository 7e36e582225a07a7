#include "pipeline/corpus/conllx_writer.h"

#include <cerrno>
#include <cstring>

#include "pipeline/util/error.h"

namespace bertology {

namespace {
constexpr size_t kFlushBytes = size_t{1} << 20;  // few large writes, bounded memory
}  // namespace

ConllxWriter::ConllxWriter(const std::string& out_path)
    : temp_(out_path), out_(temp_.path(), std::ios::binary | std::ios::trunc) {
  BTL_REQUIRE(out_.good(), temp_.path(), ": cannot create (", std::strerror(errno), ")");
}

void ConllxWriter::write(const std::vector<DepToken>& sentence) {
  for (size_t i = 0; i < sentence.size(); ++i) {
    const DepToken& d = sentence[i];
    buffer_ += cat(i + 1, "\t", d.word, "\t_\t", d.tag, "\t", d.tag, "\t_\t", d.head, "\t", d.deprel, "\t_\t_\n");
  }
  buffer_ += '\n';
  ++sentences_;
  words_ += static_cast<int64_t>(sentence.size());
  if (buffer_.size() > kFlushBytes) {
    out_ << buffer_;
    buffer_.clear();
  }
}

void ConllxWriter::commit() {
  out_ << buffer_;
  buffer_.clear();
  out_.close();
  if (!out_) throw InternalError(cat(temp_.path(), ": write failed (disk full?)"));
  temp_.commit();
}

}  // namespace bertology
