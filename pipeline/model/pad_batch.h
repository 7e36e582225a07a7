// Right-padding token sequences into the [B, T] tensors the encoder takes (BertModel::forward):
// the one padder behind `encode`, the cache's chunk computation and the multiple-choice batches.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace bertology {

/// B sequences padded on the right to the longest one (T = its length), as CPU tensors: callers
/// move them to their device.
struct PaddedBatch {
  at::Tensor input_ids;       ///< [B, T] int64: row b's ids, then pad_id
  at::Tensor attention_mask;  ///< [B, T] int64: 1 for a real token, 0 for padding
  at::Tensor token_type_ids;  ///< [B, T] int64: row b's segment ids, then 0; undefined when none
                              ///< were given (the encoder then uses zeros)
  int64_t real_tokens = 0;    ///< sum of the row lengths (the 1s of attention_mask)
};

/// Pads the rows of `ids` (token ids, any lengths, B = ids.size() >= 0 rows) with `pad_id`.
/// `token_type_ids` is empty or has one row per row of `ids` with the same length (a mismatch is
/// a bug: InternalError).
PaddedBatch pad_batch(const std::vector<std::vector<int32_t>>& ids, int32_t pad_id,
                      const std::vector<std::vector<int32_t>>& token_type_ids = {});

}  // namespace bertology
