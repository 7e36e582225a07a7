// Reading `torch.save(model.state_dict())` files (Hugging Face pytorch_model.bin) without LibTorch.
//
// Since PyTorch 1.6 torch.save writes a zip archive (entries STORED, i.e. uncompressed):
//
//   <folder>/data.pkl     the object graph, a pickle (protocol 2 by default)
//   <folder>/data/<key>   raw little-endian bytes of one storage, referenced from the pickle by a
//                         persistent id ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
//   <folder>/version, <folder>/byteorder (newer torch), ...
//
// torch names <folder> after the file it saves to ("pytorch_model/") or "archive/" when saving to
// a file object; the reader accepts any name. The zip layer is pipeline/io/zip_reader.h.
// The pickle is interpreted by a small stack machine that knows only what a state dict needs:
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter and the typed
// storage classes. Anything else (arbitrary classes, code) is refused, so loading a checkpoint
// never runs code or instantiates foreign objects, unlike Python's torch.load.
//
// Tensors saved as views (transposed, sliced, expanded, sharing a storage with another tensor)
// are materialised as contiguous row-major copies; tied weights (one tensor under two names)
// appear under both names.
#pragma once

#include <string>

#include "pipeline/model/raw_tensor.h"

namespace bertology {

/// Reads every tensor of a torch.save zip archive holding a dict of tensors (a state dict).
///
/// Supports ZIP64 archives and pickle protocols 2-4 as torch.save writes them (the opcodes are
/// listed in torch_bin.cpp). Device locations ("cuda:0") are ignored: storages are read as bytes.
///
/// @throws InputError naming `path` and the problem: missing file, not a zip (including the
///         pre-1.6 legacy torch.save format, which is named as such), truncated file, compressed or
///         encrypted entry, no <folder>/data.pkl, unsupported pickle opcode or global, top-level
///         object not a dict of tensors, unknown storage type, missing storage record, storage
///         record too small for the tensor view, big-endian archive.
StateDict read_torch_bin(const std::string& path);

}  // namespace bertology
