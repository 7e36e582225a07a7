#include "pipeline/probe/lin_section.h"

namespace bertology {

const ConfigSection<LinParams>& lin_section() {
  static const ConfigSection<LinParams> section("lin", "Lin et al. (2019) data", {
      field(&LinParams::data_dir,
           path_key("data_dir", "", "Open Sesame data folder (data_aux/, data_sbjn/, data_agr/, data_refl/).")),
      field(&LinParams::nth,
           ints_key("nth", {1, 2, 4, 8}, 1, 30, "N of Lin et al.'s N-th-token task (wordpiece positions, 1-based).")),
      field(&LinParams::nth_corpus,
           path_key("nth_corpus", "", "CoNLL-U corpus whose 10-30-wordpiece sentences make the N-th-token task (empty = corpus.path).")),
      field(&LinParams::max_sentences_per_file,
           int_key("max_sentences_per_file", 0, 0, kUnbounded, "Use the first N lines of each Open Sesame file (0 = all).")),
  });
  return section;
}

}  // namespace bertology
