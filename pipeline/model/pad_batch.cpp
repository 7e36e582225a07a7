#include "pipeline/model/pad_batch.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "pipeline/util/error.h"

namespace bertology {

PaddedBatch pad_batch(const std::vector<std::vector<int32_t>>& ids, int32_t pad_id,
                      const std::vector<std::vector<int32_t>>& token_type_ids) {
  const bool with_types = !token_type_ids.empty();
  BTL_CHECK(!with_types || token_type_ids.size() == ids.size(), token_type_ids.size(), " token type rows for ",
            ids.size(), " rows of ids");
  const auto B = static_cast<int64_t>(ids.size());
  int64_t T = 0;
  for (const auto& row : ids) T = std::max<int64_t>(T, static_cast<int64_t>(row.size()));

  PaddedBatch batch;
  batch.input_ids = at::full({B, T}, static_cast<int64_t>(pad_id), at::kLong);
  batch.attention_mask = at::zeros({B, T}, at::kLong);
  if (with_types) batch.token_type_ids = at::zeros({B, T}, at::kLong);
  int64_t* out_ids = batch.input_ids.data_ptr<int64_t>();
  int64_t* out_mask = batch.attention_mask.data_ptr<int64_t>();
  int64_t* out_types = with_types ? batch.token_type_ids.data_ptr<int64_t>() : nullptr;
  for (int64_t b = 0; b < B; ++b) {
    const auto& row = ids[static_cast<size_t>(b)];
    const auto n = static_cast<int64_t>(row.size());
    std::copy(row.begin(), row.end(), out_ids + b * T);
    std::fill(out_mask + b * T, out_mask + b * T + n, int64_t{1});
    if (with_types) {
      const auto& types = token_type_ids[static_cast<size_t>(b)];
      BTL_CHECK(types.size() == row.size(), "row ", b, ": ", types.size(), " token types for ", n, " ids");
      std::copy(types.begin(), types.end(), out_types + b * T);
    }
    batch.real_tokens += n;
  }
  return batch;
}

}  // namespace bertology
