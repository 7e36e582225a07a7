"""Clark et al. (2019), "What Does BERT Look At?": the authors' scoring code, transcribed.

Test tooling only (issue #13): scripts/reference/make_clark_fixtures.py runs these functions to
write the expected numbers of tests/fixtures/reference/clark_*.json, which
tests/unit/test_clark_reference.cpp compares with the C++ product. Nothing here is part of the
product.

Transcribed from clarkkev/attention-analysis (commit b609cfc, the newest):
  bpe_utils.py            get_word_word_attention
  Syntax_Analysis.ipynb   evaluate_predictor, attn_head_predictor, offset_predictor, get_scores,
                          and the baseline_scores dict (cell "Code for evaluating individual
                          attention maps and baselines")
  General_Analysis.ipynb  the avg_attns cell ("Computing Average Attention to Particular
                          Tokens/Positions") and the entropy cell ("Computing Attention Head
                          Entropies")
  head_distances.py       the Jensen-Shannon loop of main()
MIT licence, Copyright (c) 2020 Kevin Clark (the repository's LICENSE says 2020; the code dates
from 2019). The licence text is in scripts/reference/LICENSE-clarkkev-attention-analysis.txt.

Python 3 standard library + numpy only. The authors' function names and statements are kept; the
adaptations, each marked "ADAPTED" where it happens, are:
  - I/O removed: the notebooks and head_distances.py read pickles (through TensorFlow's gfile)
    into module-level globals (`dev_data`, `data`, `n_docs`); here the data are arguments.
  - 12 layers x 12 heads (and 144) are hard-coded in the originals; here they come from the
    shape of the attention arrays.
  - evaluate_predictor takes three keyword arguments whose defaults are the released behaviour:
    `possessive_relns` (the notebook tests r == "poss", Stanford Dependencies; UD calls the
    relation "nmod:poss"), `possessive_words` (the notebook tests "'s" and "s'") and
    `last_word_quirk` (the notebook applies the possessive rule only when the dependent's own
    prediction p < len(words); False drops that condition). make_clark_fixtures.py computes the
    numbers both ways and says which the product follows (docs/clark2019.md).
  - evaluate_predictor_counts is evaluate_predictor's loop returning its two Counters (the C++ test
    compares integer counts, not the accuracies); evaluate_predictor returns exactly the
    notebook's dict computed from them.
  - tokenize_and_align (bpe_utils.py) needs BERT's TensorFlow tokenizer and is not transcribed:
    callers pass the word -> wordpiece positions ("words_to_tokens", [CLS] and [SEP] included as
    words, as tokenize_and_align returns them) directly.
  - Progress printing (utils.logged_loop, data_iterator's prints) is dropped.
Arithmetic: the originals run on whatever dtype the pickles hold (float32 from TensorFlow); the
fixtures feed float64 arrays whose values are exactly representable in float32, so these functions
compute the exact-math answer for the float inputs the C++ test reads.
"""

import collections

import numpy as np


# ----------------------------------------------------------------------------------------------
# bpe_utils.py
# ----------------------------------------------------------------------------------------------

def get_word_word_attention(token_token_attention, words_to_tokens,
                            mode="first"):
  """Convert token-token attention to word-word attention (when tokens are
  derived from words using something like byte-pair encodings)."""

  word_word_attention = np.array(token_token_attention)
  not_word_starts = []
  for word in words_to_tokens:
    not_word_starts += word[1:]

  # sum up the attentions for all tokens in a word that has been split
  for word in words_to_tokens:
    word_word_attention[:, word[0]] = word_word_attention[:, word].sum(axis=-1)
  word_word_attention = np.delete(word_word_attention, not_word_starts, -1)

  # several options for combining attention maps for words that have been split
  # we use "mean" in the paper
  for word in words_to_tokens:
    if mode == "first":
      pass
    elif mode == "mean":
      word_word_attention[word[0]] = np.mean(word_word_attention[word], axis=0)
    elif mode == "max":
      word_word_attention[word[0]] = np.max(word_word_attention[word], axis=0)
      word_word_attention[word[0]] /= word_word_attention[word[0]].sum()
    else:
      raise ValueError("Unknown aggregation mode", mode)
  word_word_attention = np.delete(word_word_attention, not_word_starts, 0)

  return word_word_attention


def make_attn_word_level(data, mode="first"):
  """bpe_utils.make_attn_word_level.

  ADAPTED: each example carries "words_to_tokens" (what tokenize_and_align would return, [CLS] and
  [SEP] included) instead of being re-tokenized with BERT's tokenizer; `mode` is passed through
  (the original always uses get_word_word_attention's default, "first", although the paper uses
  "mean"). The original's assert that the pieces cover every token is kept.
  """
  for features in data:
    words_to_tokens = features["words_to_tokens"]
    assert sum(len(word) for word in words_to_tokens) == len(features["tokens"])
    features["attns"] = np.stack([[
        get_word_word_attention(attn_head, words_to_tokens, mode)
        for attn_head in layer_attns] for layer_attns in features["token_attns"]])


# ----------------------------------------------------------------------------------------------
# Syntax_Analysis.ipynb, "Code for evaluating individual attention maps and baselines"
# ----------------------------------------------------------------------------------------------

def evaluate_predictor_counts(prediction_fn, dev_data, possessive_relns=("poss",),
                              possessive_words=("'s", "s'"), last_word_quirk=True):
  """evaluate_predictor's loop; returns (n_correct, n_incorrect), Counters keyed by relation
  and "all".

  ADAPTED: `dev_data` is an argument (a global in the notebook); the three keyword arguments
  default to the notebook's behaviour (see the module docstring).
  """
  n_correct, n_incorrect = collections.Counter(), collections.Counter()
  for example in dev_data:
    words = example["words"]
    predictions = prediction_fn(example)
    for i, (p, y, r) in enumerate(zip(predictions, example["heads"],
                                      example["relns"])):
      is_correct = (p == y)
      # Notebook: `if r == "poss" and p < len(words):`
      if r in possessive_relns and (p < len(words) or not last_word_quirk):
        # Special case for poss (see discussion in Section 4.2)
        # Notebook: `if i < len(words) and words[i + 1] == "'s" or words[i + 1] == "s'":`
        # (Python's precedence: (i < len(words) and words[i + 1] == "'s") or words[i + 1] == "s'";
        # i < len(words) always holds inside the loop, so this is words[i + 1] in ("'s", "s'").
        # A possessive dependent that is the sentence's last word raises IndexError, as in the
        # notebook.)
        if ((i < len(words) and words[i + 1] == possessive_words[0])
            or words[i + 1] in possessive_words[1:]):
          is_correct = (predictions[i + 1] == y)
      if is_correct:
        n_correct[r] += 1
        n_correct["all"] += 1
      else:
        n_incorrect[r] += 1
        n_incorrect["all"] += 1
  return n_correct, n_incorrect


def evaluate_predictor(prediction_fn, dev_data, **kwargs):
  """Compute accuracies for each relation for the given predictor.

  As the notebook: the dict has only the keys of n_incorrect, so a relation every word of which
  is predicted correctly is missing from it.
  """
  n_correct, n_incorrect = evaluate_predictor_counts(prediction_fn, dev_data, **kwargs)
  return {k: n_correct[k] / float(n_correct[k] + n_incorrect[k])
          for k in n_incorrect.keys()}


def attn_head_predictor(layer, head, mode="normal"):
  """Assign each word the most-attended-to other word as its head."""
  def predict(example):
    attn = np.array(example["attns"][layer][head])
    if mode == "transpose":
      attn = attn.T
    elif mode == "both":
      attn += attn.T
    else:
      assert mode == "normal"
    # ignore attention to self and [CLS]/[SEP] tokens
    attn[range(attn.shape[0]), range(attn.shape[0])] = 0
    attn = attn[1:-1, 1:-1]
    return np.argmax(attn, axis=-1) + 1  # +1 because ROOT is at index 0
  return predict


def offset_predictor(offset):
  """Simple baseline: assign each word the word a fixed offset from
  it (e.g., the word to its right) as its head."""
  def predict(example):
    return [max(0, min(i + offset + 1, len(example["words"])))
            for i in range(len(example["words"]))]
  return predict


def get_scores(dev_data, mode="normal", **kwargs):
  """Get the accuracies of every attention head.

  ADAPTED: `dev_data` is an argument; layers and heads come from the attention's shape
  (range(12) in the notebook).
  """
  n_layers, n_heads = np.asarray(dev_data[0]["attns"]).shape[:2]
  scores = collections.defaultdict(dict)
  for layer in range(n_layers):
    for head in range(n_heads):
      scores[layer][head] = evaluate_predictor(
          attn_head_predictor(layer, head, mode), dev_data, **kwargs)
  return scores


# The notebook's directions: "dep->head" = attn_head_predictor(mode="normal") (word i's head is
# the word i attends to most), "head<-dep" = mode="transpose" (the word that attends most to i).
DIRECTIONS = (("dep->head", "normal"), ("head<-dep", "transpose"))
# baseline_scores = {i: evaluate_predictor(offset_predictor(i)) for i in range(-3, 3)}
BASELINE_OFFSETS = tuple(range(-3, 3))


# ----------------------------------------------------------------------------------------------
# General_Analysis.ipynb
# ----------------------------------------------------------------------------------------------

def data_iterator(data):
  """ADAPTED: `data` is an argument; the progress prints are dropped."""
  for i, doc in enumerate(data):
    yield doc["tokens"], np.array(doc["attns"])


def compute_avg_attns(data):
  """The cell "Computing Average Attention to Particular Tokens/Positions (Sections 3.1 and 3.2)".

  ADAPTED: a function of `data` (a list of {"tokens", "attns" [L, H, T, T]}) returning avg_attns;
  np.zeros((12, 12)) -> the attention's [L, H]. Keys as in the notebook: "right" is the
  eye(n, n, 1) selector, attention from token i to token i + 1 (the notebook's Figure 2 legend
  calls it "prev token"), "left" the attention from i to i - 1.
  """
  n_docs = len(data)
  n_layers, n_heads = np.asarray(data[0]["attns"]).shape[:2]
  avg_attns = {
      k: np.zeros((n_layers, n_heads)) for k in [
        "self", "right", "left", "sep", "sep_sep", "rest_sep",
        "cls", "punct"]
  }

  for tokens, attns in data_iterator(data):
    n_tokens = attns.shape[-1]

    # create masks indicating where particular tokens are
    seps, clss, puncts = (np.zeros(n_tokens) for _ in range(3))
    for position, token in enumerate(tokens):
      if token == "[SEP]":
        seps[position] = 1
      if token == "[CLS]":
        clss[position] = 1
      if token == "." or token == ",":
        puncts[position] = 1

    # create masks indicating which positions are relevant for each key
    sep_seps = np.ones((n_tokens, n_tokens))
    sep_seps *= seps[np.newaxis]
    sep_seps *= seps[:, np.newaxis]

    rest_seps = np.ones((n_tokens, n_tokens))
    rest_seps *= (np.ones(n_tokens) - seps)[:, np.newaxis]
    rest_seps *= seps[np.newaxis]

    selectors = {
        "self": np.eye(n_tokens, n_tokens),
        "right": np.eye(n_tokens, n_tokens, 1),
        "left": np.eye(n_tokens, n_tokens, -1),
        "sep": np.tile(seps[np.newaxis], [n_tokens, 1]),
        "sep_sep": sep_seps,
        "rest_sep": rest_seps,
        "cls": np.tile(clss[np.newaxis], [n_tokens, 1]),
        "punct": np.tile(puncts[np.newaxis], [n_tokens, 1]),
    }

    # get the average attention for each token type
    for key, selector in selectors.items():
      if key == "sep_sep":
        denom = 2
      elif key == "rest_sep":
        denom = n_tokens - 2
      else:
        denom = n_tokens
      avg_attns[key] += (
          (attns * selector[np.newaxis, np.newaxis]).sum(-1).sum(-1) /
          (n_docs * denom))
  return avg_attns


def compute_entropies(data):
  """The cell "Computing Attention Head Entropies (Section 3.3)".

  ADAPTED: a function of `data` returning (uniform_attn_entropy, entropies, entropies_cls);
  np.zeros((12, 12)) -> [L, H].
  """
  n_docs = len(data)
  n_layers, n_heads = np.asarray(data[0]["attns"]).shape[:2]
  uniform_attn_entropy = 0  # entropy of uniform attention
  entropies = np.zeros((n_layers, n_heads))  # entropy of attention heads
  entropies_cls = np.zeros((n_layers, n_heads))  # entropy of attention from [CLS]

  for tokens, attns in data_iterator(data):
    attns = 0.9999 * attns + (0.0001 / attns.shape[-1])  # smooth to avoid NaNs
    uniform_attn_entropy -= np.log(1.0 / attns.shape[-1])
    entropies -= (attns * np.log(attns)).sum(-1).mean(-1)
    entropies_cls -= (attns * np.log(attns))[:, :, 0].sum(-1)

  uniform_attn_entropy /= n_docs
  entropies /= n_docs
  entropies_cls /= n_docs
  return uniform_attn_entropy, entropies, entropies_cls


# ----------------------------------------------------------------------------------------------
# head_distances.py
# ----------------------------------------------------------------------------------------------

def compute_head_distances(data):
  """main()'s loop: Jensen-Shannon divergence (nats) between every pair of heads, summed over the
  query rows and the documents (head_distances.py says "average"; it sums).

  ADAPTED: `data` is an argument and the matrix is returned, not pickled; 144 -> L * H.
  Head k of the flat matrix is layer k // H, head k % H.
  """
  n_layers, n_heads = np.asarray(data[0]["attns"]).shape[:2]
  n = n_layers * n_heads
  js_distances = np.zeros([n, n])
  for doc in data:
    if "attns" not in doc:
      continue
    tokens, attns = doc["tokens"], np.array(doc["attns"])

    attns_flat = attns.reshape([n, attns.shape[2], attns.shape[3]])
    for head in range(n):
      head_attns = np.expand_dims(attns_flat[head], 0)
      head_attns_smoothed = (0.001 / head_attns.shape[1]) + (head_attns * 0.999)
      attns_flat_smoothed = (0.001 / attns_flat.shape[1]) + (attns_flat * 0.999)
      m = (head_attns_smoothed + attns_flat_smoothed) / 2
      js = -head_attns_smoothed * np.log(m / head_attns_smoothed)
      js += -attns_flat_smoothed * np.log(m / attns_flat_smoothed)
      js /= 2
      js = js.sum(-1).sum(-1)
      js_distances[head] += js
  return js_distances
