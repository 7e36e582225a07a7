// Reading and writing the safetensors checkpoint format without LibTorch.
//
// Layout of a file (https://github.com/huggingface/safetensors, "Format"):
//
//   8 bytes   N, little-endian uint64: length of the JSON header
//   N bytes   JSON object {name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//                          "__metadata__": {string: string}}, optionally padded with spaces
//   rest      the data section; data_offsets are relative to its start
//
// The reader is as strict as the reference implementation: the tensors must tile the data
// section exactly (no holes, no overlaps, no trailing bytes), because anything else is either a
// corrupt file or a polyglot trick, and accepting it would let two readers disagree about the
// same checkpoint. Tensors may appear in the JSON in any order. It is stricter than the
// reference in one respect: a duplicated tensor name is an error instead of "last one wins".
#pragma once

#include <map>
#include <string>

#include "pipeline/model/raw_tensor.h"

namespace bertology {

/// Reads every tensor of the safetensors file at `path` into memory.
///
/// @param path      file to read
/// @param metadata  if not null, receives the "__metadata__" string map (cleared first; empty
///                  when the file has none)
/// @return          name -> tensor; the bytes are copied verbatim (little-endian, row-major)
/// @throws InputError naming `path` and the problem: missing/unreadable file, file shorter than
///         8 bytes, header length beyond the file, header not a JSON object, duplicate name,
///         unsupported dtype, shape × dtype size differing from the data_offsets span,
///         offsets beyond the file (truncated), overlapping/uncovered bytes, bad __metadata__.
StateDict read_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);

/// Writes `tensors` (and `metadata` as "__metadata__", omitted when empty) to `path`.
///
/// The file is written to a temporary beside `path` (unique per process and call, util/files.h
/// TempOutput) and renamed over `path` only once complete, so a crash never leaves a half-written
/// file under the final name and two concurrent writers never share a temporary. Like the reference writer, the header
/// is padded with spaces to a multiple of 8 bytes and tensors are laid out by decreasing element
/// size (then by name), so every tensor starts at an offset aligned to its element size.
///
/// @throws InternalError when a tensor's data size does not match its shape and dtype, or on
///         I/O failure (the temporary file is removed).
void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace bertology
