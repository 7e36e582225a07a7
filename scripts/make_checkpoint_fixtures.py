#!/usr/bin/python3
"""Fixtures for the torch-free checkpoint readers (tests/unit/test_checkpoint_readers.cpp).

Run with Debian's interpreter, which has python3-torch 1.13 and numpy (no other packages needed):

    /usr/bin/python3 scripts/make_checkpoint_fixtures.py

Writes under tests/fixtures/checkpoints/ (a few kilobytes in all):
  tiny.bin            torch.save(state_dict) of a tiny BERT-like module plus extra entries that
                      cover every dtype, views (transposed, sliced, expanded, sharing a storage),
                      a tied weight (one tensor under two names), a scalar and an empty tensor.
                      The state dict keeps its `_metadata` attribute, as Hugging Face files do.
                      torch names the zip's folder after the file ("tiny/"; "archive/" when
                      saving to a file object).
  tiny_proto4.bin     the same with pickle_protocol=4 (FRAME, MEMOIZE, SHORT_BINUNICODE,
                      STACK_GLOBAL instead of GLOBAL)
  tiny_pyzip.bin      the records of tiny.bin re-zipped by Python's zipfile under the folder
                      "pytorch_model/": another zip writer (no 64-byte alignment, no ZIP64 end
                      record) and a folder name unrelated to the file name
  tiny.safetensors    the same tensors, contiguous, written by hand (struct + json) with the
                      data in a different order than the JSON keys, and a __metadata__ map
  legacy.bin          a pre-1.6 torch.save file (_use_new_zipfile_serialization=False): must be
                      refused with a clear message
  bad_opcode.bin      tiny.bin whose data.pkl has an INT opcode (b"I42\\n", 0x49, protocol 0)
                      inserted at byte 2, right after PROTO: must be refused
  tiny.expected.json  torch version, and per tensor: dtype (safetensors spelling), shape, the
                      contiguous little-endian bytes as hex, and the values (ints as ints, floats
                      as float64 with "inf"/"-inf"/"nan" as strings); plus sha256 of each file
"""
import collections
import hashlib
import io
import json
import os
import struct
import zipfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "checkpoints")

ST_DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(10, 4)
        self.position_embeddings = nn.Embedding(6, 4)
        self.LayerNorm = nn.LayerNorm(4)
        # Exactly how Hugging Face BERT registers it: an expanded view with stride (0, 1).
        self.register_buffer("position_ids", torch.arange(6).expand((1, -1)))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(4, 4).half()
        self.intermediate = nn.Linear(4, 8).bfloat16()


class TinyBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = Embeddings()
        self.layer = nn.ModuleList([Layer()])
        self.pooler = nn.Linear(4, 4).double()
        self.decoder = nn.Linear(4, 10, bias=False)
        self.decoder.weight = self.embeddings.word_embeddings.weight  # tied, as in BertForMaskedLM


def make_state_dict():
    torch.manual_seed(1234)
    model = TinyBert()
    sd = model.state_dict()  # an OrderedDict with a `_metadata` attribute
    assert sd["decoder.weight"].data_ptr() == sd["embeddings.word_embeddings.weight"].data_ptr()
    assert hasattr(sd, "_metadata")
    base = torch.arange(15, dtype=torch.float32).reshape(3, 5) / 4
    sd["extra.transposed"] = base.t()  # shape [5, 3], strides [1, 5]
    grid = torch.arange(24, dtype=torch.float32).reshape(4, 6) - 7.5
    sd["extra.sliced"] = grid[1:3, ::2]  # storage offset 6, strides [6, 2]
    sd["extra.expanded"] = torch.tensor([1.5, -2.0, 0.25]).expand(2, 3)  # strides [0, 1]
    shared = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    sd["extra.shared.left"] = shared[:, :2]  # two views of one storage
    sd["extra.shared.right"] = shared[:, 2:]
    sd["extra.word_row"] = sd["embeddings.word_embeddings.weight"][2]  # view into a tied storage
    sd["extra.scalar"] = torch.tensor(3.25, dtype=torch.float64)
    sd["extra.empty"] = torch.zeros(0, 3)
    sd["extra.f16_special"] = torch.tensor(
        [float("inf"), float("-inf"), 65504.0, 2.0**-24, -0.0, float("nan")], dtype=torch.float16)
    sd["extra.bf16_special"] = torch.tensor([1e38, -3.0e-39, 1.0 + 2.0**-7], dtype=torch.bfloat16)
    sd["extra.int64"] = torch.tensor([-2**63, 2**63 - 1, 1 << 40, -1], dtype=torch.int64)
    sd["extra.int32"] = torch.tensor([-2**31, 2**31 - 1, 7], dtype=torch.int32)
    sd["extra.int16"] = torch.tensor([[-32768, 32767], [3, -4]], dtype=torch.int16)
    sd["extra.int8"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
    sd["extra.uint8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    sd["extra.bool"] = torch.tensor([True, False, True, True])
    return sd


def contiguous_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16; same-size reinterpretation is exact
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def json_values(t):
    flat = t.detach().reshape(-1)
    if t.dtype == torch.bool or not t.dtype.is_floating_point:
        return flat.tolist()

    def enc(x):
        if x != x:
            return "nan"
        if x in (float("inf"), float("-inf")):
            return "inf" if x > 0 else "-inf"
        return x

    return [enc(x) for x in flat.double().tolist()]


def write_safetensors_by_hand(path, sd, metadata):
    """Writes the format from its spec; data in reverse name order so JSON order != data order."""
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(sd, reverse=True):
        data = contiguous_bytes(sd[name])
        header[name] = {"dtype": ST_DTYPE[sd[name].dtype], "shape": list(sd[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    # Emit the JSON keys sorted, i.e. in a different order than the data.
    text = json.dumps(header, sort_keys=True).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def rezip(src, dst, folder, patch_pickle=None):
    """Copies the records of a torch zip into a new STORED zip under `folder`/."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            rest = info.filename.split("/", 1)[1]
            if rest == "data.pkl" and patch_pickle:
                data = patch_pickle(data)
            # A fixed timestamp keeps the fixture byte-identical from run to run.
            zout.writestr(zipfile.ZipInfo(folder + "/" + rest, date_time=(1980, 1, 1, 0, 0, 0)), data)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = make_state_dict()
    p = lambda name: os.path.join(OUT, name)

    torch.save(sd, p("tiny.bin"))
    torch.save(sd, p("tiny_proto4.bin"), pickle_protocol=4)
    rezip(p("tiny.bin"), p("tiny_pyzip.bin"), "pytorch_model")
    rezip(p("tiny.bin"), p("bad_opcode.bin"), "archive",
          patch_pickle=lambda pkl: pkl[:2] + b"I42\n" + pkl[2:])
    torch.save(collections.OrderedDict(w=torch.ones(2)), p("legacy.bin"),
               _use_new_zipfile_serialization=False)
    write_safetensors_by_hand(p("tiny.safetensors"), sd,
                              {"format": "pt", "producer": "make_checkpoint_fixtures.py"})

    # Sanity: torch itself reads back what the C++ tests will compare against.
    for name in ("tiny.bin", "tiny_proto4.bin", "tiny_pyzip.bin"):
        back = torch.load(p(name))
        assert list(back) == list(sd), name
        for k in sd:
            assert contiguous_bytes(back[k]) == contiguous_bytes(sd[k]), (name, k)

    expected = {
        "generator": "scripts/make_checkpoint_fixtures.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "tensors": {
            name: {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape),
                   "hex": contiguous_bytes(t).hex(), "values": json_values(t)}
            for name, t in sd.items()
        },
        "names_in_order": list(sd),
        "files": {},
    }
    for name in sorted(os.listdir(OUT)):
        if name != "tiny.expected.json":
            with open(p(name), "rb") as f:
                expected["files"][name] = hashlib.sha256(f.read()).hexdigest()
    with open(p("tiny.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(expected['files']) + 1} files to {os.path.normpath(OUT)} "
          f"(torch {torch.__version__})")


if __name__ == "__main__":
    main()
