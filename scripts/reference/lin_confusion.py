"""Lin et al. (2019) §5 confusion score, transcribed from the authors' code (numpy only).

Source: github.com/yongjie-lin/bert-opensesame, commit 4b4d3691dfbba00601db205dda7f5f9d907dda37,
        file bertviz/attention_cross_entropy.ipynb, third code cell (the loop over `lines`).
Licence: Apache License 2.0 (the repository's LICENSE, identical to bertviz/LICENSE beside the
         notebook); a copy is in scripts/reference/LICENSE-bert-opensesame.txt.
         Code by the repository's authors (Lin, Tan & Frank 2019, "Open Sesame").

Changes from the notebook (Apache-2.0 §4(b)), none of them in the arithmetic:
  - the cell's body is split into functions: `preprocess_line` (the "# preprocess lines" block),
    `sentence_bce` (the per-layer loop and `bce = -np.log2(source_attn)`), `corpus_bce` (the
    `bces` array and the two corpus aggregates the cell ends with);
  - the attention comes in as an argument instead of from the model: `attn` has the shape the
    notebook's AttentionGenerator returns, [n_layers, batch = 1, num_heads, seq_len, seq_len]
    (float32, rows = from, columns = to, over `[CLS] wordpieces [SEP]`);
  - the `out` file (one line "factor_str layer bce" per layer) and tqdm are left out;
  - `corpus_avg_bce` and `corpus_avg_summed_bce`, which the cell computes last and leaves in the
    notebook's namespace, are returned.

What the notebook does, as transcribed (for the readers of tests/unit/test_probe_reference.cpp):
  - a line is `sentence<TAB>source<TAB>group<TAB>group...`; each TAB field after the source is ONE
    target group (its space-separated indices), the first being the true subject / antecedent;
  - word indices are used as wordpiece positions after adding 1 for [CLS]: the notebook assumes one
    wordpiece per word (true of the Open Sesame vocabulary under bert-base-uncased);
  - per layer: mean over heads (float32), a(group) = sum of the source row over the group's
    columns, normalised over the groups, CS = -log2 of the first group's share;
  - corpus: mean over sentences per layer (`corpus_avg_bce`), and its SUM over the layers
    (`corpus_avg_summed_bce`; a mean over layers is that divided by n_layers).
"""
import numpy as np


def preprocess_line(line):
    """The cell's "# preprocess lines" block: (sentence, source_idx, target_groups_idx)."""
    # preprocess lines
    line = line.strip().split('\t')
    sentence, source, *target_groups = line
    source_idx = int(source) + 1 # offset for [CLS]
    target_groups_idx = []
    for group in target_groups:
        str_idxes = group.strip().split()
        target_groups_idx.append(list(map(lambda s: int(s) + 1, str_idxes))) # offset for [CLS]
    return sentence, source_idx, target_groups_idx


def sentence_bce(attn, source_idx, target_groups_idx, n_layers):
    """The per-layer loop of the cell for one sentence: returns `bce` [n_layers] (float64)."""
    source_attn = np.empty([n_layers])
    for layer in range(n_layers):
        layer_attn = attn[layer][0] # Get layer attention (assume batch size = 1), shape = [num_heads, seq_len, seq_len]
        head_avg = np.mean(layer_attn, axis=0) # shape = [seq_len, seq_len]
        grouped_attn = [head_avg[source_idx, group].sum() for group in target_groups_idx]
        grouped_attn /= sum(grouped_attn)
        source_attn[layer] = grouped_attn[0]

    bce = -np.log2(source_attn)
    return bce


def corpus_bce(lines, attns, n_layers):
    """The whole cell over `lines` with `attns[idx]` the attention of line idx.

    Returns (bces [len(lines), n_layers], corpus_avg_bce [n_layers], corpus_avg_summed_bce).
    """
    bces = np.empty([len(lines), n_layers])
    for idx, line in enumerate(lines):
        sentence, source_idx, target_groups_idx = preprocess_line(line)
        attn = attns[idx]
        bce = sentence_bce(attn, source_idx, target_groups_idx, n_layers)
        bces[idx] = bce

    corpus_avg_bce = np.mean(bces, axis=0)
    corpus_avg_summed_bce = np.sum(corpus_avg_bce)
    return bces, corpus_avg_bce, corpus_avg_summed_bce
