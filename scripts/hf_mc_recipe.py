"""What the Python references of the multiple-choice model share (scripts/make_mc_reference.py,
scripts/bench/hf_mc_train.py): MCTest questions read as bertology reads them, and one step of
Hugging Face's fine-tuning recipe.
"""
import contextlib

import torch


def read_mctest(tsv):
    """[{"passage", "question", "options", "answer"}] in file order, four questions per story.

    Reads a release .tsv and the .ans beside it the way pipeline/mcrc/mc_readers.cpp does: the
    story's \\newline and \\tab escapes turned back into characters, the "one: " / "multiple: "
    prefix taken off each question, answers A-D as indices.
    """
    answers = [l.rstrip("\n").split("\t") for l in open(tsv[:-4] + ".ans", encoding="utf-8")]
    out = []
    for n, line in enumerate(open(tsv, encoding="utf-8")):
        f = line.rstrip("\n").split("\t")
        story = f[2].replace("\\newline", "\n").replace("\\tab", "\t")
        for q in range(4):
            base = 3 + q * 5
            question = f[base]
            for prefix in ("one: ", "multiple: "):
                if question.startswith(prefix):
                    question = question[len(prefix):]
            out.append({"passage": story, "question": question, "options": f[base + 1:base + 5],
                        "answer": "ABCD".index(answers[n][q])})
    return out


def hf_adamw(model, lr, weight_decay=0.01, eps=1e-8, fused=None):
    """torch.optim.AdamW with HF Trainer's groups: no decay for biases and LayerNorm weights.

    fused=True is HF Trainer's default optimiser (optim="adamw_torch_fused") with torch >= 2.8;
    None leaves torch's choice (foreach where it can).
    """
    no_decay = [n for n, _ in model.named_parameters() if n.endswith(".bias") or "LayerNorm." in n]
    groups = [{"params": [p for n, p in model.named_parameters() if n not in no_decay], "weight_decay": weight_decay},
              {"params": [p for n, p in model.named_parameters() if n in no_decay], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, eps=eps, **({} if fused is None else {"fused": fused}))


def hf_step(model, opt, sched, ids, types, mask, labels, max_grad_norm=1.0, autocast_dtype=None, loss_item=True):
    """One optimiser step as HF Trainer takes it; returns the loss (a float; the detached tensor when
    loss_item=False, so that a GPU step does not wait for the GPU).

    autocast_dtype (e.g. torch.bfloat16): mixed precision as Trainer's bf16=True does it: the forward
    and loss under torch.autocast(<the inputs' device type>, dtype), backward, clipping and the AdamW
    step outside it, on the fp32 weights (which stay the master copy).
    """
    opt.zero_grad()
    amp = (contextlib.nullcontext() if autocast_dtype is None
           else torch.autocast(device_type=ids.device.type, dtype=autocast_dtype))
    with amp:
        loss = model(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    opt.step()
    sched.step()
    return loss.item() if loss_item else loss.detach()
