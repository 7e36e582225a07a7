"""Tenney et al. (2019) edge probing: jiant's edge-probing forward pass, transcribed.

Test tooling only: scripts/reference/make_edge_fixtures.py runs this code to write the expected
numbers of tests/fixtures/reference/jiant_edge_probe.json, which a C++ unit test compares with the
product. Nothing here is part of the product.

Transcribed from (plain PyTorch; neither jiant nor allennlp is imported):
  nyu-mll/jiant, tag v1.3.2 (commit 588aa288643224a1919cec889ede37d8c0196d35), the last 1.x
  release; the edge-probing module is unchanged there since "Fixing Edge-Probing after muti-GPU
  release (#1025)":
    jiant/modules/edge_probing.py     EdgeClassifierModule (__init__, _make_span_extractor,
                                      _make_cnn_layer, forward, get_predictions, compute_loss)
    jiant/modules/simple_modules.py   Classifier (cls_type "mlp"), Classifier.from_params
    jiant/tasks/edge_probing.py       EdgeProbingTask._make_span_field (span end convention)
  allenai/allennlp, tag v0.8.4 (the version jiant v1.3.2 pins in setup.py / environment.yml):
    allennlp/modules/span_extractors/self_attentive_span_extractor.py  SelfAttentiveSpanExtractor
    allennlp/modules/scalar_mix.py    ScalarMix (do_layer_norm=False branch)
    allennlp/nn/util.py               masked_softmax, weighted_sum, batched_index_select,
                                      flatten_and_batch_shift_indices, get_range_vector,
                                      get_device_of
Licences: jiant is MIT, Copyright (c) 2019 New York University (scripts/reference/LICENSE-jiant.txt,
the LICENSE of tag v1.3.2); AllenNLP (a project of the Allen Institute for Artificial
Intelligence) is Apache-2.0 (scripts/reference/LICENSE-allennlp.txt, its LICENSE of tag v0.8.4).
Changes from the AllenNLP originals (Apache-2.0 section 4(b)) are marked "ADAPTED" where they
happen, as are the changes to jiant's code.

Span convention (read this before the C++ side): jiant's JSON records give half-open spans
[i, j) over the words of "text". EdgeProbingTask.make_instance turns each into an AllenNLP
SpanField with _make_span_field(s, text_field, offset=1) = SpanField(s[0] + 1, s[1] - 1 + 1):
  "+ offset" (offset = 1) skips the boundary token ([CLS] / <SOS>) that boundary_token_fn
  prepends, and "- 1" converts the exclusive end to AllenNLP's INCLUSIVE end.
EdgeClassifierModule.forward passes those inclusive spans unchanged to the span extractors
(jiant/tasks/edge_probing.py lines 217-219, 234-240 at v1.3.2). The fixtures' spans index the
given token vectors directly (any boundary token is already among them), so they are converted
with offset = 0: [b, e) -> (b, e - 1).

Non-jiant additions (the product offers them as options; jiant has no such span pooling, its only
alternative to "attn" is AllenNLP's EndpointSpanExtractor with a combination string like "x,y"):
  MeanSpanExtractor  "mean": plain mean of the projected span tokens
  MaxSpanExtractor   "max":  elementwise max of the projected span tokens
They are marked "NOT JIANT" below.

Eval mode throughout (the fixtures call .eval(): every Dropout is the identity).
"""
from types import SimpleNamespace
from typing import Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------------------
# allenai/allennlp v0.8.4, allennlp/nn/util.py

def get_device_of(tensor: torch.Tensor) -> int:
    """allennlp/nn/util.py get_device_of."""
    if not tensor.is_cuda:
        return -1
    else:
        return tensor.get_device()


def get_range_vector(size: int, device: int) -> torch.Tensor:
    """allennlp/nn/util.py get_range_vector."""
    if device > -1:
        return torch.cuda.LongTensor(size, device=device).fill_(1).cumsum(0) - 1
    else:
        return torch.arange(0, size, dtype=torch.long)


def flatten_and_batch_shift_indices(indices: torch.Tensor, sequence_length: int) -> torch.Tensor:
    """allennlp/nn/util.py flatten_and_batch_shift_indices."""
    # Shape: (batch_size)
    if torch.max(indices) >= sequence_length or torch.min(indices) < 0:
        # ADAPTED: ValueError instead of allennlp.common.checks.ConfigurationError.
        raise ValueError(f"All elements in indices should be in range (0, {sequence_length - 1})")
    offsets = get_range_vector(indices.size(0), get_device_of(indices)) * sequence_length
    for _ in range(len(indices.size()) - 1):
        offsets = offsets.unsqueeze(1)

    # Shape: (batch_size, d_1, ..., d_n)
    offset_indices = indices + offsets

    # Shape: (batch_size * d_1 * ... * d_n)
    offset_indices = offset_indices.view(-1)
    return offset_indices


def batched_index_select(target: torch.Tensor, indices: torch.LongTensor,
                         flattened_indices=None) -> torch.Tensor:
    """allennlp/nn/util.py batched_index_select."""
    if flattened_indices is None:
        # Shape: (batch_size * d_1 * ... * d_n)
        flattened_indices = flatten_and_batch_shift_indices(indices, target.size(1))

    # Shape: (batch_size * sequence_length, embedding_size)
    flattened_target = target.view(-1, target.size(-1))

    # Shape: (batch_size * d_1 * ... * d_n, embedding_size)
    flattened_selected = flattened_target.index_select(0, flattened_indices)
    selected_shape = list(indices.size()) + [target.size(-1)]
    # Shape: (batch_size, d_1, ..., d_n, embedding_size)
    selected_targets = flattened_selected.view(*selected_shape)
    return selected_targets


def masked_softmax(vector: torch.Tensor, mask: torch.Tensor, dim: int = -1,
                   memory_efficient: bool = False, mask_fill_value: float = -1e32) -> torch.Tensor:
    """allennlp/nn/util.py masked_softmax.

    With memory_efficient=False (the default, and what SelfAttentiveSpanExtractor uses) the
    masked positions get logit 0 inside the softmax, are then zeroed and the rest renormalised
    (sum + 1e-13): equal to a softmax over the unmasked positions up to that 1e-13.
    """
    if mask is None:
        result = torch.nn.functional.softmax(vector, dim=dim)
    else:
        mask = mask.float()
        # ADAPTED: mask.float() is float32; cast to the vector's dtype so that the float64
        # fixture run stays float64 (a no-op for float32 inputs, as in jiant).
        mask = mask.to(vector.dtype)
        while mask.dim() < vector.dim():
            mask = mask.unsqueeze(1)
        if not memory_efficient:
            # To limit numerical errors from large vector elements outside the mask, we zero these out.
            result = torch.nn.functional.softmax(vector * mask, dim=dim)
            result = result * mask
            result = result / (result.sum(dim=dim, keepdim=True) + 1e-13)
        else:
            # ADAPTED: (1 - mask).bool() instead of the deprecated .byte() mask.
            masked_vector = vector.masked_fill((1 - mask).bool(), mask_fill_value)
            result = torch.nn.functional.softmax(masked_vector, dim=dim)
    return result


def weighted_sum(matrix: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
    """allennlp/nn/util.py weighted_sum."""
    # We'll special-case a few settings here, where there are efficient (but poorly-named)
    # operations in pytorch that already do the computation we need.
    if attention.dim() == 2 and matrix.dim() == 3:
        return attention.unsqueeze(1).bmm(matrix).squeeze(1)
    if attention.dim() == 3 and matrix.dim() == 3:
        return attention.bmm(matrix)
    if matrix.dim() - 1 < attention.dim():
        expanded_size = list(matrix.size())
        for i in range(attention.dim() - matrix.dim() + 1):
            matrix = matrix.unsqueeze(1)
            expanded_size.insert(i + 1, attention.size(i + 1))
        matrix = matrix.expand(*expanded_size)
    intermediate = attention.unsqueeze(-1).expand_as(matrix) * matrix
    return intermediate.sum(dim=-2)


# ----------------------------------------------------------------------------------------------
# allenai/allennlp v0.8.4, allennlp/modules/scalar_mix.py

class ScalarMix(torch.nn.Module):
    """allennlp/modules/scalar_mix.py ScalarMix: mixture = gamma * sum(s_k * tensor_k),
    s = softmax(w). jiant builds it as ScalarMix(max_layer + 1, do_layer_norm=False) for
    transformers_output_mode = "mix" (jiant/huggingface_transformers_interface/modules.py)."""

    def __init__(self, mixture_size: int, do_layer_norm: bool = False,
                 initial_scalar_parameters: List[float] = None, trainable: bool = True) -> None:
        super(ScalarMix, self).__init__()
        self.mixture_size = mixture_size
        self.do_layer_norm = do_layer_norm
        if do_layer_norm:
            # ADAPTED: the do_layer_norm=True branch (ELMo's per-layer normalisation) is not
            # transcribed; jiant's BERT "mix" mode does not use it.
            raise NotImplementedError("do_layer_norm=True is not transcribed")

        if initial_scalar_parameters is None:
            initial_scalar_parameters = [0.0] * mixture_size
        elif len(initial_scalar_parameters) != mixture_size:
            # ADAPTED: ValueError instead of ConfigurationError.
            raise ValueError("Length of initial_scalar_parameters {} differs "
                             "from mixture_size {}".format(initial_scalar_parameters, mixture_size))

        self.scalar_parameters = nn.ParameterList(
            [nn.Parameter(torch.FloatTensor([initial_scalar_parameters[i]]),
                          requires_grad=trainable) for i in range(mixture_size)])
        self.gamma = nn.Parameter(torch.FloatTensor([1.0]), requires_grad=trainable)

    def forward(self, tensors: List[torch.Tensor], mask: torch.Tensor = None) -> torch.Tensor:
        if len(tensors) != self.mixture_size:
            raise ValueError("{} tensors were passed, but the module was initialized to "
                             "mix {} tensors.".format(len(tensors), self.mixture_size))

        normed_weights = torch.nn.functional.softmax(
            torch.cat([parameter for parameter in self.scalar_parameters]), dim=0)
        normed_weights = torch.split(normed_weights, split_size_or_sections=1)

        # (do_layer_norm is False: the only branch transcribed)
        pieces = []
        for weight, tensor in zip(normed_weights, tensors):
            pieces.append(weight * tensor)
        return self.gamma * sum(pieces)


# ----------------------------------------------------------------------------------------------
# allenai/allennlp v0.8.4, allennlp/modules/span_extractors/self_attentive_span_extractor.py

class SelfAttentiveSpanExtractor(nn.Module):
    """SelfAttentiveSpanExtractor: a global attention logit Linear(input_dim, 1) on every token,
    a softmax over the tokens of each span (INCLUSIVE span ends), the weighted sum of the span's
    token vectors."""

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self._input_dim = input_dim
        # ADAPTED: TimeDistributed(torch.nn.Linear(input_dim, 1)) in the original; TimeDistributed
        # only reshapes (batch, seq, dim) -> (batch * seq, dim) and back, the arithmetic is the same.
        self._global_attention = torch.nn.Linear(input_dim, 1)
        # ADAPTED: the last span attention weights are kept for the fixtures' hand-checkable
        # intermediates (shape (batch_size, num_spans, max_batch_span_width), index k = token
        # span_end - k, i.e. in REVERSE token order, as the original gathers them).
        self.last_span_attention_weights = None

    def get_input_dim(self) -> int:
        return self._input_dim

    def get_output_dim(self) -> int:
        return self._input_dim

    def forward(self, sequence_tensor: torch.FloatTensor, span_indices: torch.LongTensor,
                sequence_mask: torch.LongTensor = None,
                span_indices_mask: torch.LongTensor = None) -> torch.FloatTensor:
        # both of shape (batch_size, num_spans, 1)
        span_starts, span_ends = span_indices.split(1, dim=-1)

        # shape (batch_size, num_spans, 1)
        # These span widths are off by 1, because the span ends are `inclusive`.
        span_widths = span_ends - span_starts

        # We need to know the maximum span width so we can
        # generate indices to extract the spans from the sequence tensor.
        # These indices will then get masked below, such that if the length
        # of a given span is smaller than the max, the rest of the values
        # are masked.
        max_batch_span_width = span_widths.max().item() + 1

        # shape (batch_size, sequence_length, 1)
        global_attention_logits = self._global_attention(sequence_tensor)

        # Shape: (1, 1, max_batch_span_width)
        max_span_range_indices = get_range_vector(max_batch_span_width,
                                                  get_device_of(sequence_tensor)).view(1, 1, -1)
        # Shape: (batch_size, num_spans, max_batch_span_width)
        # This is a broadcasted comparison - for each span we are considering,
        # we are creating a range vector of size max_span_width, but masking values
        # which are greater than the actual length of the span.
        #
        # We're using <= here (and for the mask below) because the span ends are
        # inclusive, so we want to include indices which are equal to span_widths rather
        # than using it as a non-inclusive upper bound.
        span_mask = (max_span_range_indices <= span_widths).float()
        raw_span_indices = span_ends - max_span_range_indices
        # We also don't want to include span indices which are less than zero,
        # which happens because some spans near the beginning of the sequence
        # have an end index < max_batch_span_width, so we add this to the mask here.
        span_mask = span_mask * (raw_span_indices >= 0).float()
        span_indices = torch.nn.functional.relu(raw_span_indices.float()).long()

        # Shape: (batch_size * num_spans * max_batch_span_width)
        flat_span_indices = flatten_and_batch_shift_indices(span_indices, sequence_tensor.size(1))

        # Shape: (batch_size, num_spans, max_batch_span_width, embedding_dim)
        span_embeddings = batched_index_select(sequence_tensor, span_indices, flat_span_indices)

        # Shape: (batch_size, num_spans, max_batch_span_width)
        span_attention_logits = batched_index_select(global_attention_logits,
                                                     span_indices,
                                                     flat_span_indices).squeeze(-1)
        # Shape: (batch_size, num_spans, max_batch_span_width)
        span_attention_weights = masked_softmax(span_attention_logits, span_mask)
        self.last_span_attention_weights = span_attention_weights  # ADAPTED (see __init__)

        # Do a weighted sum of the embedded spans with
        # respect to the normalised attention distributions.
        # Shape: (batch_size, num_spans, embedding_dim)
        attended_text_embeddings = weighted_sum(span_embeddings, span_attention_weights)

        if span_indices_mask is not None:
            # Above we were masking the widths of spans with respect to the max
            # span width in the batch. Here we are masking the spans which were
            # originally passed in as padding.
            # ADAPTED: .to(dtype) instead of .float(), so that float64 runs stay float64.
            return attended_text_embeddings * span_indices_mask.unsqueeze(-1).to(
                attended_text_embeddings.dtype)

        return attended_text_embeddings


# ----------------------------------------------------------------------------------------------
# NOT JIANT: the product's two other span poolings, with SelfAttentiveSpanExtractor's call
# signature and the same INCLUSIVE span ends. Written for the fixtures; no authors' code.

class _PlainSpanExtractor(nn.Module):
    """NOT JIANT. Pools the projected tokens span_start..span_end (inclusive) of each span."""

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self._input_dim = input_dim

    def get_output_dim(self) -> int:
        return self._input_dim

    def _pool(self, tokens: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, sequence_tensor, span_indices, sequence_mask=None, span_indices_mask=None):
        batch_size, num_spans, _ = span_indices.shape
        out = sequence_tensor.new_zeros(batch_size, num_spans, self._input_dim)
        for b in range(batch_size):
            for n in range(num_spans):
                start, end = int(span_indices[b, n, 0]), int(span_indices[b, n, 1])
                if span_indices_mask is not None and int(span_indices_mask[b, n]) == 0:
                    continue  # padding target: zeros, as the attentive extractor returns
                out[b, n] = self._pool(sequence_tensor[b, start:end + 1])
        return out


class MeanSpanExtractor(_PlainSpanExtractor):
    """NOT JIANT: "mean" pooling = mean over the span's projected token vectors."""

    def _pool(self, tokens):
        return tokens.mean(dim=0)


class MaxSpanExtractor(_PlainSpanExtractor):
    """NOT JIANT: "max" pooling = elementwise max over the span's projected token vectors."""

    def _pool(self, tokens):
        return tokens.max(dim=0)[0]


# ----------------------------------------------------------------------------------------------
# nyu-mll/jiant v1.3.2, jiant/modules/simple_modules.py

class Classifier(nn.Module):
    """ Logistic regression or MLP classifier """

    # NOTE: Expects dropout to have already been applied to its input.

    def __init__(self, d_inp, n_classes, cls_type="mlp", dropout=0.2, d_hid=512):
        super(Classifier, self).__init__()
        if cls_type == "log_reg":
            classifier = nn.Linear(d_inp, n_classes)
        elif cls_type == "mlp":
            classifier = nn.Sequential(
                nn.Linear(d_inp, d_hid),
                nn.Tanh(),
                nn.LayerNorm(d_hid),  # default eps = 1e-5, elementwise affine
                nn.Dropout(dropout),
                nn.Linear(d_hid, n_classes),
            )
        else:
            # ADAPTED: "fancy_mlp" (a second hidden layer) is not transcribed.
            raise ValueError("Classifier type %s not found" % cls_type)
        self.classifier = classifier

    def forward(self, seq_emb):
        logits = self.classifier(seq_emb)
        return logits

    @classmethod
    def from_params(cls, d_inp, n_classes, params):
        return cls(
            d_inp,
            n_classes,
            cls_type=params["cls_type"],
            dropout=params["dropout"],
            d_hid=params["d_hid"],
        )


# ----------------------------------------------------------------------------------------------
# nyu-mll/jiant v1.3.2, jiant/tasks/edge_probing.py

def _make_span_field(s, offset=1):
    """EdgeProbingTask._make_span_field: SpanField(s[0] + offset, s[1] - 1 + offset, text_field).

    [i, j) exclusive record span -> (i + offset, j - 1 + offset) INCLUSIVE AllenNLP span; jiant
    calls it with offset=1 for the boundary token its tokenizer prepends.
    ADAPTED: returns the (start, end) pair instead of an AllenNLP SpanField (no text_field)."""
    return (s[0] + offset, s[1] - 1 + offset)


# ----------------------------------------------------------------------------------------------
# nyu-mll/jiant v1.3.2, jiant/modules/edge_probing.py

class EdgeClassifierModule(nn.Module):
    """ Build edge classifier components as a sub-module.

    Use same classifier code as build_single_sentence_module,
    except instead of whole-sentence pooling we'll use span1 and span2 indices
    to extract span representations, and use these as input to the classifier.
    """

    def _make_span_extractor(self):
        if self.span_pooling == "attn":
            return SelfAttentiveSpanExtractor(self.proj_dim)
        # ADAPTED (NOT JIANT): jiant's else-branch is
        #     EndpointSpanExtractor(self.proj_dim, combination=self.span_pooling)
        # (not transcribed); the product's "mean" and "max" options are added here instead.
        elif self.span_pooling == "mean":
            return MeanSpanExtractor(self.proj_dim)
        elif self.span_pooling == "max":
            return MaxSpanExtractor(self.proj_dim)
        else:
            raise NotImplementedError("EndpointSpanExtractor (%s) is not transcribed"
                                      % self.span_pooling)

    def _make_cnn_layer(self, d_inp):
        """Make a CNN layer as a projection of local context.

        CNN maps [batch_size, max_len, d_inp]
        to [batch_size, max_len, proj_dim] with no change in length.
        """
        k = 1 + 2 * self.cnn_context
        padding = self.cnn_context
        return nn.Conv1d(
            d_inp,
            self.proj_dim,
            kernel_size=k,
            stride=1,
            padding=padding,
            dilation=1,
            groups=1,
            bias=True,
        )

    def __init__(self, task, d_inp: int, task_params):
        super(EdgeClassifierModule, self).__init__()
        # Set config options needed for forward pass.
        self.loss_type = task_params["cls_loss_fn"]
        self.span_pooling = task_params["cls_span_pooling"]
        self.cnn_context = task_params["edgeprobe_cnn_context"]
        self.is_symmetric = task_params["edgeprobe_symmetric"]
        self.single_sided = task.single_sided

        # ADAPTED: jiant sets self.proj_dim = task_params["d_hid"], the same number as the
        # classifier's hidden size (classifier_hid_dim, via models.get_task_specific_params).
        # An optional "proj_dim" entry lets the fixtures use two different sizes; without it the
        # behaviour is jiant's.
        self.proj_dim = task_params.get("proj_dim", task_params["d_hid"])
        # Separate projection for span1, span2.
        # Convolution allows using local context outside the span, with
        # cnn_context = 0 behaving as a per-word linear layer.
        self.proj1 = self._make_cnn_layer(d_inp)
        if self.is_symmetric or self.single_sided:
            # Use None as dummy padding for readability,
            # so that we can index projs[1] and projs[2]
            self.projs = nn.ModuleList([None, self.proj1, self.proj1])
        else:
            # Separate params for span2
            self.proj2 = self._make_cnn_layer(d_inp)
            self.projs = nn.ModuleList([None, self.proj1, self.proj2])

        # Span extractor, shared for both span1 and span2.
        self.span_extractor1 = self._make_span_extractor()
        if self.is_symmetric or self.single_sided:
            self.span_extractors = nn.ModuleList([None, self.span_extractor1, self.span_extractor1])
        else:
            self.span_extractor2 = self._make_span_extractor()
            self.span_extractors = nn.ModuleList([None, self.span_extractor1, self.span_extractor2])

        # Classifier gets concatenated projections of span1, span2
        clf_input_dim = self.span_extractors[1].get_output_dim()
        if not self.single_sided:
            clf_input_dim += self.span_extractors[2].get_output_dim()
        self.classifier = Classifier.from_params(clf_input_dim, task.n_classes, task_params)

    def forward(self, batch: Dict, word_embs_in_context: torch.Tensor, sent_mask: torch.Tensor,
                task, predict: bool) -> Dict:
        """ Run forward pass.

        Expects batch to have the following entries:
            'labels' : [batch_size, num_targets, n_classes] k-hot
            'span1s' : [batch_size, num_targets, 2] of spans (INCLUSIVE ends, see _make_span_field)
            'span2s' : [batch_size, num_targets, 2] of spans

        'labels', 'span1s', and 'span2s' are padded with -1 along second
        (num_targets) dimension.

        Args:
            batch: dict(str -> Tensor) with entries described above.
            word_embs_in_context: [batch_size, max_len, repr_dim] Tensor
            sent_mask: [batch_size, max_len, 1] Tensor of {0,1}
            task: EdgeProbingTask (ADAPTED: anything; only passed on to compute_loss)
            predict: whether or not to generate predictions

        Returns:
            out: dict(str -> Tensor)
        """
        out = {}

        # Apply projection CNN layer for each span.
        word_embs_in_context_t = word_embs_in_context.transpose(1, 2)  # needed for CNN layer

        se_proj1 = self.projs[1](word_embs_in_context_t).transpose(2, 1).contiguous()
        if not self.single_sided:
            se_proj2 = self.projs[2](word_embs_in_context_t).transpose(2, 1).contiguous()

        # Span extraction.
        # [batch_size, num_targets] bool
        span_mask = batch["span1s"][:, :, 0] != -1
        out["mask"] = span_mask
        total_num_targets = span_mask.sum()
        out["n_targets"] = total_num_targets
        out["n_exs"] = total_num_targets  # used by trainer.py

        _kw = dict(sequence_mask=sent_mask.long(), span_indices_mask=span_mask.long())
        # span1_emb and span2_emb are [batch_size, num_targets, span_repr_dim]
        span1_emb = self.span_extractors[1](se_proj1, batch["span1s"], **_kw)
        if not self.single_sided:
            span2_emb = self.span_extractors[2](se_proj2, batch["span2s"], **_kw)
            span_emb = torch.cat([span1_emb, span2_emb], dim=2)
        else:
            span_emb = span1_emb
        # ADAPTED: intermediates kept for the fixtures.
        out["span1_emb"] = span1_emb

        # [batch_size, num_targets, n_classes]
        logits = self.classifier(span_emb)
        out["logits"] = logits

        # Compute loss if requested.
        if "labels" in batch:
            # Labels is [batch_size, num_targets, n_classes],
            # with k-hot encoding provided by AllenNLP's MultiLabelField.
            # Flatten to [total_num_targets, ...] first.
            out["loss"] = self.compute_loss(logits[span_mask], batch["labels"][span_mask], task)

        if predict:
            out["preds"] = self.get_predictions(logits)

        return out

    def get_predictions(self, logits: torch.Tensor):
        """Return class probabilities, same shape as logits."""
        if self.loss_type == "sigmoid":
            return torch.sigmoid(logits)
        else:
            raise ValueError("Unsupported loss type '%s' " "for edge probing." % self.loss_type)

    def compute_loss(self, logits: torch.Tensor, labels: torch.Tensor, task):
        """ Compute loss & eval metrics.

        Expect logits and labels to be already "selected" for good targets,
        i.e. this function does not do any masking internally.

        Args:
            logits: [total_num_targets, n_classes] Tensor of float scores
            labels: [total_num_targets, n_classes] Tensor of sparse binary targets

        Returns:
            loss: scalar Tensor (mean over all targets x classes)
        """
        if self.loss_type == "sigmoid":
            # ADAPTED: labels.to(logits.dtype) instead of labels.float() (float64 runs).
            return F.binary_cross_entropy(torch.sigmoid(logits), labels.to(logits.dtype))
        else:
            raise ValueError("Unsupported loss type '%s' " "for edge probing." % self.loss_type)


# ----------------------------------------------------------------------------------------------
# Defaults, for reference (jiant v1.3.2 jiant/config/defaults.conf, block edges-tmpl, and
# jiant/models.py get_task_specific_params): task_params of an edge-probing task.

def jiant_task_params(span_pooling="attn", d_hid=256, dropout=0.3, symmetric=0):
    """Not jiant code: the task_params dict that jiant's get_task_specific_params builds for an
    edges-* task with the defaults (classifier = mlp, classifier_hid_dim = 256,
    classifier_dropout = 0.3, span_classifier_loss_fn = sigmoid, classifier_span_pooling = attn,
    edgeprobe_cnn_context = 0, edgeprobe_symmetric = 0)."""
    return {
        "cls_type": "mlp",
        "d_hid": d_hid,
        "dropout": dropout,
        "cls_loss_fn": "sigmoid",
        "cls_span_pooling": span_pooling,
        "edgeprobe_cnn_context": 0,
        "edgeprobe_symmetric": symmetric,
    }


def make_task(n_classes, single_sided):
    """Not jiant code: the two EdgeProbingTask attributes that EdgeClassifierModule reads."""
    return SimpleNamespace(n_classes=n_classes, single_sided=single_sided)
