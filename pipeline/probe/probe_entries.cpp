#include "pipeline/probe/probe_entries.h"

#include "pipeline/analysis/stage_extraction.h"
#include "pipeline/analysis/stage_output.h"

namespace bertology {

ProbeEntries::ProbeEntries(const StageContext& ctx, std::string stage)
    : ctx_(ctx), stage_(std::move(stage)), held_out_(ctx.params.probe.test_corpus.empty()), test_entry_(ctx.cache) {
  if (!held_out_) {
    Params test = ctx.params;
    test.corpus.path = ctx.params.probe.test_corpus;  // corpus.max_sentences applies to both
    test_entry_ = extract_for_stage(test, ctx, stage_ + ": test corpus");
  }
}

nlohmann::json ProbeEntries::inputs() const {
  return {{"train", entry_name(ctx_.cache)}, {"test", entry_name(test_entry_)}, {"held_out", held_out_}};
}

void ProbeEntries::open() {
  train_.emplace(open_word_entry(ctx_.cache, stage_));
  if (!held_out_) test_.emplace(open_word_entry(test_entry_, stage_));  // a second reader only when needed
  splits_ = token_splits(train(), test(), held_out_, ctx_.params.probe.dev_fraction);
}

nlohmann::json ProbeEntries::split_sizes() const {
  return {{"train_sentences", splits_.train.size()},
          {"dev_sentences", splits_.dev.size()},
          {"test_sentences", splits_.test.size()}};
}

}  // namespace bertology
