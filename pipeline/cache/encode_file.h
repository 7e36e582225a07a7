// `bertology encode`: a few sentences through the encoder into one self-describing HDF5 file,
// without a cache. The quick-look path, and the reference the cache tests compare against.
//
// Layout of the file (T = wordpieces of the sentence, specials included; L layers; H heads; d
// hidden size; padding trimmed; float datasets in the requested dtype, h5py reads float16 as
// float16):
//
//   /sentences/<i>/input_ids   [T] int64      sentence i = input line i (0-based, input order)
//                  word_ids    [T] int32      word index per piece, -1 for [CLS]/[SEP]
//                  hidden      [L+1, T, d]    [0] = embedding output, [l] = output of layer l
//                  attention   [L, H, T, T]   [l-1] = probabilities of layer l, [head, query, key]
//                                             (absent without attention)
//   /sentences/<i> attribute   text           the input line
//   / attributes               bertology_version, model_path (absolute), model_weights_file,
//                              model_sha256, vocab_sha256, layer_convention, dtype,
//                              num_sentences, num_layers, num_heads, hidden_size,
//                              attention_stored (0/1), effective_config
//
// The file is written under a temporary name beside `out_path` (util/files.h TempOutput) and
// renamed when every sentence is in, so nothing half-written looks complete. Torch-free header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/params.h"

namespace bertology {

/// What to encode and how to store it.
struct EncodeFileParams {
  ModelParams model;                 ///< checkpoint folder, device, compute dtype, threads (>= 1)
  TokenizerParams tokenizer;         ///< special tokens; max_length caps a sentence with the model's positions
  std::vector<std::string> lines;    ///< the sentences, one per output group
  std::vector<std::string> origins;  ///< per line, "FILE:LINE" or "--text #i", for messages
  std::string out_path;              ///< the HDF5 file to write (replaced when it exists)
  std::string dtype = "float16";     ///< stored float precision: "float16" or "float32"
  bool attention = true;             ///< store /sentences/<i>/attention
  int batch_size = 16;               ///< sentences per forward pass (>= 1; sorted by length first)
  std::string effective_config;      ///< the YAML of the effective config, stored as an attribute
};

/// What was done, for the command's report.
struct EncodeFileSummary {
  int64_t sentences = 0;      ///< groups written (= lines)
  int64_t wordpieces = 0;     ///< sum of T over the sentences
  int num_layers = 0;         ///< L
  int num_heads = 0;          ///< H
  int hidden_size = 0;        ///< d
  double load_seconds = 0;    ///< loading checkpoint and tokenizer, tokenizing, creating the file
  double encode_seconds = 0;  ///< forward passes and writing
  uint64_t file_bytes = 0;    ///< size of the finished file
};

/// Encodes `p.lines` into `p.out_path` (layout above). Every sentence is tokenized before any
/// compute, so bad input fails fast: InputError "ORIGIN: ..." for a sentence the tokenizer rejects
/// or one longer than min(max_position_embeddings, tokenizer.max_length) wordpieces; checkpoint
/// errors name their file; "OUT: cannot rename from TMP (...)" when the output cannot take the
/// finished file (e.g. OUT is a directory). Nothing is left under `out_path` or a temporary name
/// on any error. Unused checkpoint weights are reported as warnings on stderr. Sets LibTorch's
/// thread count to `p.model.threads`.
EncodeFileSummary encode_file(const EncodeFileParams& p);

}  // namespace bertology
