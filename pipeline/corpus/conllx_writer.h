// Writing dependency trees as a CoNLL-X file, streamed and atomic.
//
// Columns: ID FORM LEMMA(_) CPOSTAG POSTAG FEATS(_) HEAD DEPREL PHEAD(_) PDEPREL(_), tab-separated,
// the tag in both tag columns, a blank line after each sentence; the format read_corpus() reads
// as `conllx`. The file is written under a temporary name beside the output (util/files.h
// TempOutput) and renamed by commit(), so the output path never holds a partial file; a writer
// destroyed without commit() leaves nothing behind. Memory: about 1 MiB of buffered text.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "pipeline/corpus/ptb_to_dep.h"
#include "pipeline/util/files.h"

namespace bertology {

class ConllxWriter {
 public:
  /// Creates the temporary file beside `out_path`. InputError "TMP: cannot create (REASON)".
  explicit ConllxWriter(const std::string& out_path);
  ConllxWriter(const ConllxWriter&) = delete;
  ConllxWriter& operator=(const ConllxWriter&) = delete;

  /// Appends one sentence (heads 1-based, 0 = root, as ptb_to_dependencies() gives them).
  void write(const std::vector<DepToken>& sentence);

  /// Flushes, closes and renames the file onto the output path. InternalError
  /// "TMP: write failed (disk full?)" or TempOutput's rename error.
  void commit();

  int64_t sentences() const { return sentences_; }  ///< written so far
  int64_t words() const { return words_; }          ///< written so far

 private:
  TempOutput temp_;
  std::ofstream out_;
  std::string buffer_;
  int64_t sentences_ = 0;
  int64_t words_ = 0;
};

}  // namespace bertology
