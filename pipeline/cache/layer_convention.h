// How bertology numbers layers, in one place: the two kinds of layer index, and the sentences
// every writer (cache chunks, `encode` files, stage records) uses to say so.
//
//   hidden states: index 0 = embedding output, index l = output of transformer layer l (1..L),
//                  which is the papers' "layer l" (Lin et al., Tenney et al., Hewitt & Manning);
//   attention:     index a (0-based) = attention probabilities of transformer layer a + 1; tables
//                  print the 1-based layer number (Clark et al.'s "layer-head" names).
//
// CacheReader takes HiddenLayer and AttentionLayer, so that the two cannot be swapped silently.
#pragma once

namespace bertology {

/// A hidden-state layer: 0 = embedding output, l = output of transformer layer l.
struct HiddenLayer {
  int index = 0;
};

/// An attention layer, 0-based: index a = transformer layer a + 1.
struct AttentionLayer {
  int index = 0;
  /// The 1-based transformer layer, as tables and the papers number it.
  int number() const { return index + 1; }
};

/// The `layer_convention` attribute of cache chunk files (docs/cache.md; part of the chunk bytes,
/// so its wording is fixed).
inline constexpr const char* kCacheLayerConvention =
    "hidden/layer_00 = embedding output, hidden/layer_LL = output of transformer layer LL (1-based, as "
    "in the papers' 'layer LL'); attention/layer_LL = attention probabilities of transformer layer LL+1 "
    "(0-based), stored [heads, query, key] per sequence; heads 0-based";

/// The `layer_convention` attribute of `bertology encode` files (hidden [L+1, T, d], attention [L, H, T, T]).
inline constexpr const char* kEncodeLayerConvention =
    "hidden[0] = embedding output; hidden[l] = output of transformer layer l (l = 1..L); "
    "attention[l-1] = attention probabilities of layer l, [heads, query, key]; all indices 0-based in files";

/// Stage records (stage.json) of tables with a hidden-layer column.
inline constexpr const char* kHiddenLayerColumn = "0 = embeddings, l = transformer layer l";
/// Stage records of tables with an attention-layer column (1-based).
inline constexpr const char* kAttentionLayerColumn = "layer l = attention of transformer layer l (1-based)";

}  // namespace bertology
