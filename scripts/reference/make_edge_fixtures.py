#!/usr/bin/env python3
"""Fixture for the edge-probing reference test: small seeded inputs run through the transcription
of jiant's edge-probing forward pass (scripts/reference/jiant_edge_probe.py).

    /work/main/.venv-torch2/bin/python scripts/reference/make_edge_fixtures.py

(any Python 3 with numpy and PyTorch >= 1.x; CPU only). Writes
tests/fixtures/reference/jiant_edge_probe.json; running it again writes the same bytes (seeded
numpy, one torch thread, sorted keys).

Pipeline per case (eval mode, no dropout): per-layer token vectors [T][layers][d_inp]
  -> ScalarMix (do_layer_norm False): gamma * sum_l softmax(scalars)_l * h_l      -> [T][d_inp]
  -> EdgeClassifierModule (cnn_context 0, not symmetric) with span pooling attn / mean / max
  -> logits [n_targets][n_classes], loss = F.binary_cross_entropy(sigmoid(logits), labels).
Spans in the file are exclusive-end [b, e) over the T vectors; jiant's _make_span_field with
offset 0 turns them into the inclusive (b, e - 1) the span extractors take.

Floats: inputs (tokens, weights) are float32, written as the shortest decimal that reads back to
the same float32; the transcription then runs in float64 on exactly those values and the outputs
are written as float64 repr. Two checks run before anything is written: the float64 run agrees
with a direct numpy float64 evaluation of the formulas within 1e-10 (AllenNLP's masked_softmax
adds 1e-13 to its normaliser; the differences seen are ~2e-12), and a float32 run of the
same modules (what jiant computes) agrees within 2e-6, well inside the C++ test's 1e-5.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the work tree

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jiant_edge_probe as jep  # noqa: E402

OUT_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "reference",
                                         "jiant_edge_probe.json"))

D_INP, PROJ_DIM, D_HID, N_CLASSES, LAYERS = 8, 6, 5, 4, 3
POOLINGS = ("attn", "mean", "max")


def f32_list(a):
    """A float32 array as nested lists of Python floats that read back to the same float32."""
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 0:
        x = float(np.format_float_positional(a[()], unique=True, trim='-'))
        assert np.float32(x) == a, (x, a)
        return x
    return [f32_list(x) for x in a]


def f64_list(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        x = float(a)
        assert np.isfinite(x)
        return x
    return [f64_list(x) for x in a]


# ----------------------------------------------------------------------------------------------
# Inputs

def make_weights(rng):
    """float32 weights (PyTorch Linear layout [out][in]), ~N(0, 0.5^2); LayerNorm gain 1 + N."""
    def n(*shape):
        return rng.normal(0.0, 0.5, size=shape).astype(np.float32)
    w = {
        "proj1.weight": n(PROJ_DIM, D_INP), "proj1.bias": n(PROJ_DIM),
        "proj2.weight": n(PROJ_DIM, D_INP), "proj2.bias": n(PROJ_DIM),
        "attn1.weight": n(1, PROJ_DIM), "attn1.bias": n(1),
        "attn2.weight": n(1, PROJ_DIM), "attn2.bias": n(1),
        "mlp.linear1.weight": n(D_HID, 2 * PROJ_DIM), "mlp.linear1.bias": n(D_HID),
        "mlp.linear1.weight_single": n(D_HID, PROJ_DIM),
        "mlp.norm.weight": (1.0 + n(D_HID)).astype(np.float32), "mlp.norm.bias": n(D_HID),
        "mlp.linear2.weight": n(N_CLASSES, D_HID), "mlp.linear2.bias": n(N_CLASSES),
        "mix.scalars": n(LAYERS),
        "mix.gamma": np.float32(1.3),
    }
    # Round-trip through the JSON text so that the computation sees exactly what the file holds.
    return {k: np.asarray(f32_list(v), dtype=np.float32) for k, v in w.items()}


# (name, T, span1s, span2s or None); spans exclusive-end [b, e)
CASES = [
    # span lengths 1 and 2 on both sides, span2 before and after span1
    ("two_sided_len1_len2", 6, [[0, 1], [2, 4], [5, 6]], [[1, 3], [3, 4], [0, 2]]),
    # the first span1 has length 3: its attention weights and pooled vector are recorded
    ("two_sided_len3_intermediates", 8, [[2, 5], [0, 3], [4, 5], [6, 8]],
     [[5, 8], [3, 4], [0, 1], [1, 4]]),
    # single-sided (span2s null): whole sentence, lengths 1, 3, 2
    ("single_sided_whole_sentence", 5, [[0, 5], [1, 2], [1, 4], [3, 5]], None),
    # both sides cover the whole sentence; identical and overlapping spans
    ("two_sided_whole_sentence_overlap", 7, [[0, 7], [2, 3], [3, 6]], [[0, 7], [2, 3], [1, 3]]),
    # a one-token sentence
    ("two_sided_one_token", 1, [[0, 1]], [[0, 1]]),
]
INTERMEDIATES_CASE = "two_sided_len3_intermediates"


def make_labels(rng, n_targets):
    labels = (rng.random((n_targets, N_CLASSES)) < 0.4).astype(np.int64)
    labels[0, :] = 0                      # an all-negative row
    if n_targets > 1:
        labels[1, :] = 0
        labels[1, [0, 2]] = 1             # a multi-label row
    return labels


# ----------------------------------------------------------------------------------------------
# The transcription, built with the fixture's weights

def build_modules(weights, pooling, single_sided, dtype):
    task = jep.make_task(N_CLASSES, single_sided)
    params = jep.jiant_task_params(span_pooling=pooling, d_hid=D_HID)
    params["proj_dim"] = PROJ_DIM
    edge = jep.EdgeClassifierModule(task, D_INP, params)
    mix = jep.ScalarMix(LAYERS, do_layer_norm=False)

    def t(key):
        return torch.from_numpy(np.array(weights[key], dtype=np.float32))

    sd = {
        # Conv1d k=1: weight [out][in][1] = the Linear layout plus a kernel axis
        "proj1.weight": t("proj1.weight").unsqueeze(-1), "proj1.bias": t("proj1.bias"),
        "classifier.classifier.0.bias": t("mlp.linear1.bias"),
        "classifier.classifier.2.weight": t("mlp.norm.weight"),
        "classifier.classifier.2.bias": t("mlp.norm.bias"),
        "classifier.classifier.4.weight": t("mlp.linear2.weight"),
        "classifier.classifier.4.bias": t("mlp.linear2.bias"),
    }
    if single_sided:
        sd["classifier.classifier.0.weight"] = t("mlp.linear1.weight_single")
    else:
        sd["classifier.classifier.0.weight"] = t("mlp.linear1.weight")
        sd["proj2.weight"] = t("proj2.weight").unsqueeze(-1)
        sd["proj2.bias"] = t("proj2.bias")
    if pooling == "attn":
        sd["span_extractor1._global_attention.weight"] = t("attn1.weight")
        sd["span_extractor1._global_attention.bias"] = t("attn1.bias")
        if not single_sided:
            sd["span_extractor2._global_attention.weight"] = t("attn2.weight")
            sd["span_extractor2._global_attention.bias"] = t("attn2.bias")
    # strict: every parameter of the module is set, none left at its random init. The ModuleList
    # entries alias the same parameters (projs.1 = proj1, ...): fill those keys too.
    full = {}
    for key in edge.state_dict():
        alias = (key.replace("projs.1.", "proj1.").replace("projs.2.", "proj2.")
                 .replace("span_extractors.1.", "span_extractor1.")
                 .replace("span_extractors.2.", "span_extractor2."))
        if single_sided:
            alias = alias.replace("proj2.", "proj1.").replace("span_extractor2.", "span_extractor1.")
        full[key] = sd[alias]
    edge.load_state_dict(full, strict=True)

    scalars = t("mix.scalars")
    mix.load_state_dict({"scalar_parameters.%d" % i: scalars[i:i + 1] for i in range(LAYERS)}
                        | {"gamma": t("mix.gamma").reshape(1)}, strict=True)
    edge = edge.to(dtype).eval()
    mix = mix.to(dtype).eval()
    return task, edge, mix


def run_case(weights, tokens, span1s, span2s, labels, pooling, dtype):
    single_sided = span2s is None
    task, edge, mix = build_modules(weights, pooling, single_sided, dtype)
    T = tokens.shape[0]
    h = torch.from_numpy(np.array(tokens, dtype=np.float32)).to(dtype)  # [T, layers, d_inp]
    layer_tensors = [h[:, l, :].unsqueeze(0) for l in range(LAYERS)]  # each [1, T, d_inp]
    sent_mask = torch.ones(1, T, 1, dtype=dtype)
    with torch.no_grad():
        word_embs_in_context = mix(layer_tensors, mask=sent_mask.squeeze(-1))
        batch = {
            "span1s": torch.tensor([[jep._make_span_field(s, offset=0) for s in span1s]]),
            "labels": torch.from_numpy(np.array(labels)).unsqueeze(0),
        }
        if not single_sided:
            batch["span2s"] = torch.tensor([[jep._make_span_field(s, offset=0) for s in span2s]])
        out = edge(batch, word_embs_in_context, sent_mask, task, predict=True)
    res = {"logits": out["logits"][0].double().numpy(), "loss": float(out["loss"]),
           "pooled_span1": out["span1_emb"][0].double().numpy()}
    if pooling == "attn":
        res["span1_attn_weights"] = edge.span_extractor1.last_span_attention_weights[0].double().numpy()
    return res


# ----------------------------------------------------------------------------------------------
# Independent check: the formulas, directly in numpy float64

def numpy_reference(weights, tokens, span1s, span2s, labels, pooling):
    W = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    s = W["mix.scalars"]
    sw = np.exp(s - s.max())
    sw /= sw.sum()
    x = W["mix.gamma"] * np.einsum("l,tld->td", sw, np.asarray(tokens, dtype=np.float64))

    def pool(side, spans):
        P = x @ W["proj%d.weight" % side].T + W["proj%d.bias" % side]
        a = P @ W["attn%d.weight" % side][0] + W["attn%d.bias" % side][0]
        rows = []
        for b, e in spans:
            if pooling == "attn":
                w = np.exp(a[b:e] - a[b:e].max())
                w /= w.sum()
                rows.append(w @ P[b:e])
            elif pooling == "mean":
                rows.append(P[b:e].mean(axis=0))
            else:
                rows.append(P[b:e].max(axis=0))
        return np.array(rows)

    if span2s is None:
        emb, W1 = pool(1, span1s), W["mlp.linear1.weight_single"]
    else:
        emb, W1 = np.concatenate([pool(1, span1s), pool(2, span2s)], axis=1), W["mlp.linear1.weight"]
    hid = np.tanh(emb @ W1.T + W["mlp.linear1.bias"])
    mu = hid.mean(axis=1, keepdims=True)
    var = ((hid - mu) ** 2).mean(axis=1, keepdims=True)
    hid = (hid - mu) / np.sqrt(var + 1e-5) * W["mlp.norm.weight"] + W["mlp.norm.bias"]
    logits = hid @ W["mlp.linear2.weight"].T + W["mlp.linear2.bias"]
    p = 1.0 / (1.0 + np.exp(-logits))
    y = np.asarray(labels, dtype=np.float64)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return logits, loss


# ----------------------------------------------------------------------------------------------

def make_fixture():
    rng = np.random.default_rng(20190508)  # Tenney et al., ICLR 2019
    weights = make_weights(rng)
    cases = []
    for name, T, span1s, span2s in CASES:
        tokens = np.asarray(f32_list(rng.normal(0.0, 1.0, size=(T, LAYERS, D_INP))), dtype=np.float32)
        labels = make_labels(rng, len(span1s))
        case = {"name": name, "tokens": f32_list(tokens), "span1s": span1s, "span2s": span2s,
                "labels": labels.tolist(), "expected": {}}
        for pooling in POOLINGS:
            r64 = run_case(weights, tokens, span1s, span2s, labels, pooling, torch.float64)
            r32 = run_case(weights, tokens, span1s, span2s, labels, pooling, torch.float32)
            ref_logits, ref_loss = numpy_reference(weights, tokens, span1s, span2s, labels, pooling)
            # 1e-10, not 1e-12: AllenNLP's masked_softmax adds 1e-13 to its normaliser, whose sum
            # (the softmax with masked logits set to 0) can be small for spans shorter than the
            # batch's widest span.
            assert np.max(np.abs(r64["logits"] - ref_logits)) < 1e-10, (name, pooling)
            assert abs(r64["loss"] - ref_loss) < 1e-10, (name, pooling)
            assert np.max(np.abs(r32["logits"] - r64["logits"])) < 2e-6, (name, pooling)
            assert abs(r32["loss"] - r64["loss"]) < 2e-6, (name, pooling)
            case["expected"][pooling] = {"logits": f64_list(r64["logits"]), "loss": f64_list(r64["loss"])}
            if name == INTERMEDIATES_CASE and pooling == "attn":
                b, e = span1s[0]
                assert e - b == 3
                # the extractor's weights run from the span end backwards (index k = token end - k)
                w = r64["span1_attn_weights"][0][: e - b][::-1]
                assert abs(w.sum() - 1.0) < 1e-12
                case["attn_weights_span1_first"] = f64_list(w)
                case["pooled_span1_first"] = f64_list(r64["pooled_span1"][0])
        cases.append(case)
    return {
        "d_inp": D_INP, "proj_dim": PROJ_DIM, "d_hid": D_HID, "n_classes": N_CLASSES,
        "layers": LAYERS,
        "weights": {k: f32_list(v) for k, v in weights.items()},
        "cases": cases,
    }


def main():
    torch.set_num_threads(1)
    obj = make_fixture()
    text = json.dumps(obj, sort_keys=True, allow_nan=False, separators=(",", ":"))
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, "w") as f:
        f.write(text + "\n")
    print("%s: %d bytes" % (OUT_PATH, len(text) + 1))


if __name__ == "__main__":
    main()
