#!/usr/bin/env python3
"""Reads a `bertology encode` file with h5py and compares it with a Hugging Face reference.

usage: check_encode.py OUT.h5 REFERENCE.safetensors SENTENCES.json TOLERANCE
Exit 0 when every sentence's input_ids equal the reference and every layer of hidden states and
attention is within TOLERANCE (max abs difference) of HF's; prints one line per failure otherwise.
Runs with Debian's python3 (h5py, numpy); safetensors is parsed by hand (8-byte length, JSON, data).
"""
import json
import struct
import sys

import h5py
import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def main():
    out_path, ref_path, sentences_path, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    ref = read_safetensors(ref_path)
    sentences = json.load(open(sentences_path))["sentences"]
    hs, att, mask = ref["segment0_hidden_states"], ref["segment0_attentions"], ref["attention_mask"]
    failures = []
    with h5py.File(out_path, "r") as f:
        dtype = f.attrs["dtype"]
        want = np.float16 if dtype == "float16" else np.float32
        if f.attrs["num_sentences"] != len(sentences):
            failures.append("num_sentences %d != %d" % (f.attrs["num_sentences"], len(sentences)))
        for i, text in enumerate(sentences):
            g = f["sentences/%d" % i]
            n = int(mask[i].sum())
            if g.attrs["text"] != text:
                failures.append("sentence %d text %r != %r" % (i, g.attrs["text"], text))
            if not np.array_equal(g["input_ids"][()], ref["input_ids"][i, :n]):
                failures.append("sentence %d input_ids differ" % i)
            h = g["hidden"]
            if h.dtype != want:
                failures.append("sentence %d hidden dtype %s != %s" % (i, h.dtype, want))
            if h.shape != (hs.shape[0], n, hs.shape[3]):
                failures.append("sentence %d hidden shape %s" % (i, h.shape))
                continue
            d = np.abs(h[()].astype(np.float64) - hs[:, i, :n, :]).max()
            if d > tol:
                failures.append("sentence %d hidden max diff %.3g > %.3g" % (i, d, tol))
            if "attention" in g:
                a = g["attention"][()].astype(np.float64)
                d = np.abs(a - att[:, i, :, :n, :n]).max()
                if d > tol:
                    failures.append("sentence %d attention max diff %.3g > %.3g" % (i, d, tol))
    for line in failures:
        print(line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
