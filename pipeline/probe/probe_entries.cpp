#include "pipeline/probe/probe_entries.h"

#include "pipeline/stage/stage_context.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/stage/stage_output.h"

namespace bertology {

ProbeEntries::ProbeEntries(StageContext& ctx)
    : ctx_(ctx),
      held_out_(probe_section().of(ctx.params).test_corpus.empty()),
      train_entry_(ctx.cache()),
      test_entry_(train_entry_) {
  if (!held_out_) {
    Params test = ctx.params;
    test.corpus.path = probe_section().of(ctx.params).test_corpus;  // corpus.max_sentences applies to both
    test_entry_ = ctx.extract("test corpus", test);
  }
}

void ProbeEntries::open() {
  train_.emplace(open_word_entry(train_entry_, ctx_.name()));
  if (!held_out_) test_.emplace(open_word_entry(test_entry_, ctx_.name()));  // a second reader only when needed
  splits_ = token_splits(train(), test(), held_out_, probe_section().of(ctx_.params).dev_fraction);
}

nlohmann::json ProbeEntries::split_sizes() const {
  return {{"train_sentences", splits_.train.size()},
          {"dev_sentences", splits_.dev.size()},
          {"test_sentences", splits_.test.size()}};
}

}  // namespace bertology
