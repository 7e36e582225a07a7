#!/usr/bin/env python3
"""Write a randomly initialised BERT checkpoint (Hugging Face layout) of any size, with the standard
library only (no numpy, no torch): for benchmarks that need a model of BERT-base's shape
(scripts/bench/scale.sh) where no pretrained one may be downloaded.

  scripts/bench/make_random_bert.py --like MODEL_DIR --out OUT_DIR
      [--layers 12 --hidden 768 --heads 12 --intermediate 3072 --seed 1234] [--check BERTOLOGY]

OUT_DIR receives
  config.json        MODEL_DIR/config.json with num_hidden_layers, hidden_size, num_attention_heads,
                     intermediate_size replaced (vocab_size, max_position_embeddings, type_vocab_size,
                     layer_norm_eps, hidden_act ... kept), "model_type": "bert", "architectures": ["BertModel"];
  the tokenizer      vocab.txt, tokenizer_config.json and the other tokenizer files of MODEL_DIR, copied;
  model.safetensors  float32 tensors of a BertModel under the names of MODEL_DIR/model.safetensors (its
                     per-layer names repeated for the new layer count, shapes from the new config; Linear
                     weights are [out, in]); weights ~ N(0, 0.02) (slices of a pool of 2^20 gaussian values
                     at pseudo-random offsets: fast in pure Python, not i.i.d. across the whole model, which a
                     timing/memory benchmark does not need), LayerNorm weights 1, biases 0, the padding row
                     of the word embeddings 0, embeddings.position_ids (int64) 0..max_position_embeddings-1
                     when MODEL_DIR has it;
  random_bert.json   what made it (seed, sizes, file size): a later run with the same arguments and the
                     same config.json skips the work.
The weights file is written streaming (never the whole model in memory) to a temporary name, then renamed.
--check BERTOLOGY: afterwards encode one sentence with that binary (`encode --set model.threads=1`) to
prove the checkpoint loads. Exit status 0 ok, 1 the check failed, 2 bad input.
"""
import argparse
import array
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

POOL_SIZE = 1 << 20          # gaussian float32 values generated once
MAX_SLICE = 1 << 16          # floats copied from the pool per write (more offsets = less repetition)
STD = 0.02                   # BERT's initializer_range
GENERATOR_VERSION = 1        # bump when the values written for the same arguments change
TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "tokenizer.json", "special_tokens_map.json",
                   "added_tokens.json")
LAYER_RE = re.compile(r"^((?:bert\.)?encoder\.layer\.)(\d+)\.(.*)$")


def fail(msg, code=2):
    print("make_random_bert.py: " + msg, file=sys.stderr)
    sys.exit(code)


def read_safetensors_header(path):
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            fail("%s: too short for a safetensors file" % path)
        (n,) = struct.unpack("<Q", raw)
        if n > 100 * 1024 * 1024:
            fail("%s: implausible header length %d" % (path, n))
        return json.loads(f.read(n).decode("utf-8"))


def shape_of(suffix, cfg):
    """Shape of a BertModel tensor (name without the layer prefix, or a global name) under cfg."""
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    local = re.sub(r"^bert\.", "", suffix)
    table = {
        "embeddings.word_embeddings.weight": [cfg["vocab_size"], H],
        "embeddings.position_embeddings.weight": [cfg["max_position_embeddings"], H],
        "embeddings.token_type_embeddings.weight": [cfg["type_vocab_size"], H],
        "embeddings.LayerNorm.weight": [H], "embeddings.LayerNorm.bias": [H],
        "embeddings.position_ids": [1, cfg["max_position_embeddings"]],
        "attention.self.query.weight": [H, H], "attention.self.query.bias": [H],
        "attention.self.key.weight": [H, H], "attention.self.key.bias": [H],
        "attention.self.value.weight": [H, H], "attention.self.value.bias": [H],
        "attention.output.dense.weight": [H, H], "attention.output.dense.bias": [H],
        "attention.output.LayerNorm.weight": [H], "attention.output.LayerNorm.bias": [H],
        "intermediate.dense.weight": [I, H], "intermediate.dense.bias": [I],
        "output.dense.weight": [H, I], "output.dense.bias": [H],
        "output.LayerNorm.weight": [H], "output.LayerNorm.bias": [H],
        "pooler.dense.weight": [H, H], "pooler.dense.bias": [H],
    }
    return table.get(local)


def standard_names(with_position_ids=True):
    """The BertModel names (per-layer suffixes, globals) when MODEL_DIR has no safetensors file."""
    glob = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
            "pooler.dense.weight", "pooler.dense.bias"]
    if with_position_ids:
        glob.append("embeddings.position_ids")
    per = [s + "." + p for s in ("attention.self.query", "attention.self.key", "attention.self.value",
                                 "attention.output.dense", "intermediate.dense", "output.dense")
           for p in ("weight", "bias")]
    per += ["attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias"]
    return "encoder.layer.", per, glob, {}


def naming_scheme(like_dir, like_cfg):
    """(layer prefix, per-layer suffixes, global names, dtypes) of MODEL_DIR's safetensors file; every
    shape there is checked against shape_of(name, MODEL_DIR's config) so the rules are the file's."""
    path = os.path.join(like_dir, "model.safetensors")
    if not os.path.isfile(path):
        print("make_random_bert.py: %s not found; using the standard BertModel names" % path, file=sys.stderr)
        return standard_names()
    header = read_safetensors_header(path)
    prefix, per, glob, dtypes, layers = None, [], [], {}, set()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        m = LAYER_RE.match(name)
        if m:
            if prefix not in (None, m.group(1)):
                fail("%s: mixed layer prefixes %s and %s" % (path, prefix, m.group(1)))
            prefix = m.group(1)
            layers.add(int(m.group(2)))
            key, rule = m.group(3), m.group(3)
            if key not in per:
                per.append(key)
        else:
            key, rule = name, name
            glob.append(name)
        want = shape_of(rule, like_cfg)
        if want is None:
            fail("%s: tensor %s is not one this script knows how to size (a task head?)" % (path, name))
        if list(info["shape"]) != want:
            fail("%s: %s has shape %s, the rules give %s for its config" % (path, name, info["shape"], want))
        if info["dtype"] not in ("F32", "F16", "BF16", "F64", "I64"):
            fail("%s: %s has dtype %s" % (path, name, info["dtype"]))
        dtypes[key] = "I64" if info["dtype"] == "I64" else "F32"
    if layers != set(range(like_cfg["num_hidden_layers"])):
        fail("%s: layers %s, config.json says %d" % (path, sorted(layers), like_cfg["num_hidden_layers"]))
    for n in range(like_cfg["num_hidden_layers"]):  # every layer has the same tensors
        for s in per:
            if "%s%d.%s" % (prefix, n, s) not in header:
                fail("%s: layer %d lacks %s" % (path, n, s))
    return prefix or "encoder.layer.", per, glob, dtypes


def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def tensor_plan(cfg, prefix, per, glob, dtypes):
    """[(name, dtype, shape)] in the order written: int64 first (as safetensors does), then by name."""
    plan = []
    for g in glob:
        plan.append((g, dtypes.get(g, "I64" if g.endswith("position_ids") else "F32"), shape_of(g, cfg)))
    for n in range(cfg["num_hidden_layers"]):
        for s in per:
            plan.append(("%s%d.%s" % (prefix, n, s), dtypes.get(s, "F32"), shape_of(s, cfg)))
    plan.sort(key=lambda t: (t[1] != "I64", natural_key(t[0])))
    return plan


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def build_header(plan):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, dtype, shape in plan:
        size = numel(shape) * (8 if dtype == "I64" else 4)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-(8 + len(text))) % 8)  # data starts on an 8-byte boundary
    return text, offset


def gaussian_pool(seed):
    rng = random.Random(seed)
    gauss = rng.gauss
    pool = array.array("f", (gauss(0.0, STD) for _ in range(POOL_SIZE)))
    if sys.byteorder != "little":
        pool.byteswap()
    return pool.tobytes()


def write_random(f, count, pool, rng):
    """count float32 values: slices of the pool at pseudo-random offsets."""
    while count > 0:
        start = rng.randrange(POOL_SIZE)
        take = min(count, POOL_SIZE - start, MAX_SLICE)
        f.write(pool[4 * start:4 * (start + take)])
        count -= take


def write_constant(f, count, value):
    block = array.array("f", [value]) * min(count, MAX_SLICE)
    if sys.byteorder != "little":
        block.byteswap()
    block = block.tobytes()
    while count > 0:
        take = min(count, MAX_SLICE)
        f.write(block if take == MAX_SLICE else block[:4 * take])
        count -= take


def write_model(path, plan, header, total, cfg, seed):
    pool = gaussian_pool(seed)
    rng = random.Random(seed + 1)
    pad = cfg.get("pad_token_id")
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for name, dtype, shape in plan:
            n = numel(shape)
            local = name.split(".")
            if dtype == "I64":  # embeddings.position_ids
                ids = array.array("q", range(shape[-1])) * (n // shape[-1])
                if sys.byteorder != "little":
                    ids.byteswap()
                f.write(ids.tobytes())
            elif "LayerNorm" in local and local[-1] == "weight":
                write_constant(f, n, 1.0)
            elif local[-1] == "bias":
                write_constant(f, n, 0.0)
            elif name.endswith("word_embeddings.weight") and isinstance(pad, int) and 0 <= pad < shape[0]:
                H = shape[1]
                write_random(f, pad * H, pool, rng)
                write_constant(f, H, 0.0)  # HF zeroes the padding row
                write_random(f, (shape[0] - pad - 1) * H, pool, rng)
            else:
                write_random(f, n, pool, rng)
        size = f.tell()
    expect = 8 + len(header) + total
    if size != expect:
        os.unlink(tmp)
        fail("internal error: wrote %d bytes, expected %d" % (size, expect), 1)
    os.replace(tmp, path)
    return size


def check_loads(binary, out_dir):
    work = tempfile.mkdtemp(prefix="make_random_bert.")
    try:
        cmd = [binary, "encode", "--model", out_dir, "--text", "The quick brown fox jumps over the lazy dog.",
               "--out", os.path.join(work, "check.h5"), "--dtype", "float32", "--set", "model.threads=1"]
        print("check: " + " ".join(cmd), file=sys.stderr)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        sys.stderr.write(r.stdout)
        return r.returncode == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--like", required=True, help="BERT checkpoint folder: config, tokenizer and tensor names")
    ap.add_argument("--out", required=True, help="folder to write")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--intermediate", type=int, default=3072)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--check", metavar="BERTOLOGY", help="encode one sentence with this binary afterwards")
    a = ap.parse_args()

    for v, what in ((a.layers, "--layers"), (a.hidden, "--hidden"), (a.heads, "--heads"),
                    (a.intermediate, "--intermediate")):
        if v < 1:
            fail("%s must be >= 1" % what)
    if a.hidden % a.heads:
        fail("--hidden %d is not divisible by --heads %d" % (a.hidden, a.heads))
    cfg_path = os.path.join(a.like, "config.json")
    if not os.path.isfile(cfg_path):
        fail("%s not found (--like needs a Hugging Face BERT folder)" % cfg_path)
    if not os.path.isfile(os.path.join(a.like, "vocab.txt")):
        fail("%s has no vocab.txt" % a.like)
    with open(cfg_path) as f:
        like_cfg = json.load(f)
    like_cfg.setdefault("intermediate_size", 4 * like_cfg["hidden_size"])
    like_cfg.setdefault("max_position_embeddings", 512)
    like_cfg.setdefault("type_vocab_size", 2)

    cfg = dict(like_cfg)
    cfg.update({"num_hidden_layers": a.layers, "hidden_size": a.hidden, "num_attention_heads": a.heads,
                "intermediate_size": a.intermediate, "model_type": "bert", "architectures": ["BertModel"],
                "_name_or_path": "random-bert (scripts/bench/make_random_bert.py, seed %d)" % a.seed})
    stamp = {"generator_version": GENERATOR_VERSION, "seed": a.seed, "pool_size": POOL_SIZE, "std": STD,
             "layers": a.layers, "hidden": a.hidden, "heads": a.heads, "intermediate": a.intermediate}

    prefix, per, glob, dtypes = naming_scheme(a.like, like_cfg)
    plan = tensor_plan(cfg, prefix, per, glob, dtypes)
    header, total = build_header(plan)
    stamp["file_size"] = 8 + len(header) + total
    stamp["tensors"] = len(plan)

    os.makedirs(a.out, exist_ok=True)
    model_path = os.path.join(a.out, "model.safetensors")
    out_cfg_path = os.path.join(a.out, "config.json")
    stamp_path = os.path.join(a.out, "random_bert.json")

    def load(p):
        try:
            with open(p) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    # Tokenizer files: always (cheap), so a changed --like vocabulary is followed.
    copied = []
    for name in TOKENIZER_FILES:
        src = os.path.join(a.like, name)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(a.out, name))
            copied.append(name)

    params = sum(numel(s) for n, d, s in plan if d == "F32")
    if (os.path.isfile(model_path) and load(out_cfg_path) == cfg and load(stamp_path) == stamp
            and os.path.getsize(model_path) == stamp["file_size"]):
        print("make_random_bert.py: %s is up to date (%d layers, hidden %d, %d heads, intermediate %d, %.1fM "
              "parameters)" % (a.out, a.layers, a.hidden, a.heads, a.intermediate, params / 1e6), file=sys.stderr)
    else:
        # The stamp goes last: an interrupted run is redone.
        if os.path.exists(stamp_path):
            os.unlink(stamp_path)
        with open(out_cfg_path, "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
            f.write("\n")
        size = write_model(model_path, plan, header, total, cfg, a.seed)
        with open(stamp_path, "w") as f:
            json.dump(stamp, f, indent=2, sort_keys=True)
            f.write("\n")
        print("make_random_bert.py: wrote %s: %d tensors, %.1fM parameters, %.1f MiB; copied %s"
              % (a.out, len(plan), params / 1e6, size / 2**20, ", ".join(copied)), file=sys.stderr)

    if a.check and not check_loads(a.check, a.out):
        fail("%s encode failed on %s" % (a.check, a.out), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
