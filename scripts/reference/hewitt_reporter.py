"""Hewitt & Manning (2019) structural-probe evaluation, transcribed from the authors' code.

Source: github.com/john-hewitt/structural-probes, commit ad37b02431c8f9b6276bbd5eb624873a4cfac3c5
        (reporter.py last changed in 643a637, "add fixes for torch-1.0.0, new h5py"):
          structural-probes/reporter.py  WordPairReporter.report_spearmanr,
                                         WordPairReporter.report_uuas_and_tikz,
                                         WordReporter.report_spearmanr, WordReporter.report_root_acc,
                                         UnionFind, prims_matrix_to_edges, get_nopunct_argmin
          structural-probes/task.py      ParseDistanceTask.distance_between_pairs,
                                         ParseDepthTask.get_ordering_index (the gold labels)
Licence: Apache License 2.0, Copyright 2019 John Hewitt; a copy of the repository's LICENSE is in
         scripts/reference/LICENSE-structural-probes.txt.

Changes from the original (Apache-2.0 §4(b)), none of them in the arithmetic or the order of
operations:
  - the report_* methods are free functions over a list of sentences instead of methods over
    (prediction_batches, dataloader); each sentence is a dict with "prediction" (numpy float32,
    [n, n] distances or [n] depths, as ProbeRegimen.predict returns them), "label" (numpy
    float32, the gold distances [n, n] or depths [n]: torch.zeros(...) is float32 too), "length"
    (n), "sentence" (the words) and "xpos_sentence" (the PTB tags). `.cpu()` is dropped (numpy);
  - they return what they would write to disk (the per-length means, the 5-50 mean, the UUAS and
    its counts, the root accuracy and its counts) and, for the fixtures, the per-length lists of
    correlations and the per-sentence edges; the tikz / image / json outputs are left out;
  - the gold label functions take `head_indices` (CoNLL heads, ints) directly: the `observation`
    branch that maps '_' heads is not needed.

Notes on the behaviour transcribed (for the readers of tests/unit/test_probe_reference.cpp):
  - punctuation = xpos in ["''", ",", ".", ":", "``", "-LRB-", "-RRB-"] (the same list, written
    twice in prims_matrix_to_edges and once in get_nopunct_argmin); it only affects UUAS and root
    accuracy. DSpr and NSpr use every word;
  - prims_matrix_to_edges is Kruskal's algorithm over all ORDERED pairs (i, j) of non-punctuation
    words, the diagonal included, stable-sorted by distance, so ties go to row-major order;
  - get_nopunct_argmin overwrites punctuation entries of the prediction with 9000 IN PLACE
    (`prediction.data[:length]` is a view); in Hewitt's configs root_acc runs after spearmanr;
  - a NaN Spearman (a constant side) makes np.mean NaN for its length and then the 5-50 mean.
"""
from collections import defaultdict

import numpy as np
from scipy.stats import spearmanr

# The punctuation tags, exactly as in reporter.py.
PUNCTS = ["''", ",", ".", ":", "``", "-LRB-", "-RRB-"]


# ----------------------------------------------------------------------------------------------
# task.py: gold labels

def distance_between_pairs(i, j, head_indices):
    '''ParseDistanceTask.distance_between_pairs with observation=None: path distance of i and j.'''
    if i == j:
      return 0
    i_path = [i+1]
    j_path = [j+1]
    i_head = i+1
    j_head = j+1
    while True:
      if not (i_head == 0 and (i_path == [i+1] or i_path[-1] == 0)):
        i_head = head_indices[i_head - 1]
        i_path.append(i_head)
      if not (j_head == 0 and (j_path == [j+1] or j_path[-1] == 0)):
        j_head = head_indices[j_head - 1]
        j_path.append(j_head)
      if i_head in j_path:
        j_path_length = j_path.index(i_head)
        i_path_length = len(i_path) - 1
        break
      elif j_head in i_path:
        i_path_length = i_path.index(j_head)
        j_path_length = len(j_path) - 1
        break
      elif i_head == j_head:
        i_path_length = len(i_path) - 1
        j_path_length = len(j_path) - 1
        break
    total_length = j_path_length + i_path_length
    return total_length


def distance_labels(head_indices):
    '''ParseDistanceTask.labels: [n, n] float32 (torch.zeros in the original).'''
    sentence_length = len(head_indices)
    distances = np.zeros((sentence_length, sentence_length), dtype=np.float32)
    for i in range(sentence_length):
      for j in range(i,sentence_length):
        i_j_distance = distance_between_pairs(i, j, head_indices)
        distances[i][j] = i_j_distance
        distances[j][i] = i_j_distance
    return distances


def get_ordering_index(i, head_indices):
    '''ParseDepthTask.get_ordering_index with observation=None: the depth of word i.'''
    length = 0
    i_head = i+1
    while True:
      i_head = head_indices[i_head - 1]
      if i_head != 0:
        length += 1
      else:
        return length


def depth_labels(head_indices):
    '''ParseDepthTask.labels: [n] float32.'''
    sentence_length = len(head_indices)
    depths = np.zeros(sentence_length, dtype=np.float32)
    for i in range(sentence_length):
      depths[i] = get_ordering_index(i, head_indices)
    return depths


# ----------------------------------------------------------------------------------------------
# reporter.py: module-level helpers (verbatim)

class UnionFind:
  '''
  Naive UnionFind implementation for (slow) Prim's MST algorithm

  Used to compute minimum spanning trees for distance matrices
  '''
  def __init__(self, n):
    self.parents = list(range(n))
  def union(self, i,j):
    if self.find(i) != self.find(j):
      i_parent = self.find(i)
      self.parents[i_parent] = j
  def find(self, i):
    i_parent = i
    while True:
      if i_parent != self.parents[i_parent]:
        i_parent = self.parents[i_parent]
      else:
        break
    return i_parent


def prims_matrix_to_edges(matrix, words, poses):
  '''
  Constructs a minimum spanning tree from the pairwise weights in matrix;
  returns the edges.

  Never lets punctuation-tagged words be part of the tree.
  '''
  pairs_to_distances = {}
  uf = UnionFind(len(matrix))
  for i_index, line in enumerate(matrix):
    for j_index, dist in enumerate(line):
      if poses[i_index] in ["''", ",", ".", ":", "``", "-LRB-", "-RRB-"]:
        continue
      if poses[j_index] in ["''", ",", ".", ":", "``", "-LRB-", "-RRB-"]:
        continue
      pairs_to_distances[(i_index, j_index)] = dist
  edges = []
  for (i_index, j_index), distance in sorted(pairs_to_distances.items(), key = lambda x: x[1]):
    if uf.find(i_index) != uf.find(j_index):
      uf.union(i_index, j_index)
      edges.append((i_index, j_index))
  return edges


def get_nopunct_argmin(prediction, words, poses):
  '''
  Gets the argmin of predictions, but filters out all punctuation-POS-tagged words
  '''
  puncts = ["''", ",", ".", ":", "``", "-LRB-", "-RRB-"]
  original_argmin = np.argmin(prediction)
  for i in range(len(words)):
    argmin = np.argmin(prediction)
    if poses[argmin] not in puncts:
      return argmin
    else:
      prediction[argmin] = 9000
  return original_argmin


# ----------------------------------------------------------------------------------------------
# reporter.py: the report methods, over a list of sentence dicts

def _mean_5_50(lengths_to_spearmanrs):
  mean_spearman_for_each_length = {length: np.mean(lengths_to_spearmanrs[length])
      for length in lengths_to_spearmanrs}
  mean = np.mean([mean_spearman_for_each_length[x] for x in range(5,51) if x in mean_spearman_for_each_length])
  return mean_spearman_for_each_length, mean


def wordpair_report_spearmanr(sentences):
  '''WordPairReporter.report_spearmanr (DSpr): one correlation per word (row), all words.

  Returns (lengths_to_spearmanrs, mean_spearman_for_each_length, mean over lengths 5..50).
  '''
  lengths_to_spearmanrs = defaultdict(list)
  for s in sentences:
    prediction, label, length = s["prediction"], s["label"], s["length"]
    words = s["sentence"]
    length = int(length)
    prediction = prediction[:length,:length]
    label = label[:length,:length]
    spearmanrs = [spearmanr(pred, gold) for pred, gold in zip(prediction, label)]
    lengths_to_spearmanrs[length].extend([x.correlation for x in spearmanrs])
  mean_spearman_for_each_length, mean = _mean_5_50(lengths_to_spearmanrs)
  return lengths_to_spearmanrs, mean_spearman_for_each_length, mean


def report_uuas(sentences):
  '''WordPairReporter.report_uuas_and_tikz without the tikz.

  Returns (uuas, uspan_correct, uspan_total, per-sentence [(gold_edges, pred_edges, correct)]).
  '''
  uspan_total = 0
  uspan_correct = 0
  total_sents = 0
  per_sentence = []
  for s in sentences:
    prediction, label, length = s["prediction"], s["label"], s["length"]
    words = s["sentence"]
    poses = s["xpos_sentence"]
    length = int(length)
    assert length == len(words)
    prediction = prediction[:length,:length]
    label = label[:length,:length]

    gold_edges = prims_matrix_to_edges(label, words, poses)
    pred_edges = prims_matrix_to_edges(prediction, words, poses)

    correct = len(set([tuple(sorted(x)) for x in gold_edges]).intersection(
      set([tuple(sorted(x)) for x in pred_edges])))
    uspan_correct += correct
    uspan_total += len(gold_edges)
    total_sents += 1
    per_sentence.append((gold_edges, pred_edges, correct))
  uuas = uspan_correct / float(uspan_total)
  return uuas, uspan_correct, uspan_total, per_sentence


def word_report_spearmanr(sentences):
  '''WordReporter.report_spearmanr (NSpr): one correlation per sentence.

  Returns (lengths_to_spearmanrs, mean_spearman_for_each_length, mean over lengths 5..50).
  '''
  lengths_to_spearmanrs = defaultdict(list)
  for s in sentences:
    prediction, label, length = s["prediction"], s["label"], s["length"]
    words = s["sentence"]
    length = int(length)
    prediction = prediction[:length]
    label = label[:length]
    sent_spearmanr = spearmanr(prediction, label)
    lengths_to_spearmanrs[length].append(sent_spearmanr.correlation)
  mean_spearman_for_each_length, mean = _mean_5_50(lengths_to_spearmanrs)
  return lengths_to_spearmanrs, mean_spearman_for_each_length, mean


def report_root_acc(sentences):
  '''WordReporter.report_root_acc. Mutates each s["prediction"] as the original does.

  Returns (root_acc, correct_root_predictions, total_sents, per-sentence argmins).
  '''
  total_sents = 0
  correct_root_predictions = 0
  argmins = []
  for s in sentences:
    prediction, label, length = s["prediction"], s["label"], s["length"]
    length = int(length)
    label = list(label[:length])
    prediction = prediction.data[:length]
    words = s["sentence"]
    poses = s["xpos_sentence"]

    argmin = get_nopunct_argmin(prediction, words, poses)
    argmins.append(int(argmin))
    correct_root_predictions += label.index(0) == argmin
    total_sents += 1

  root_acc = correct_root_predictions / float(total_sents)
  return root_acc, correct_root_predictions, total_sents, argmins
