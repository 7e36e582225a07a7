#!/usr/bin/python3
"""Builds configs/samples/litbank_coref/litbank_first_sentences.conll from LitBank's coreference files.

    /usr/bin/python3 scripts/make_litbank_sample.py LITBANK_CONLL_DIR OUT_FILE [--min-words 160]

Keeps, of every document (sorted by file name), the first whole sentences up to at least
--min-words words: Clark et al. cut documents to 128 wordpieces, so the rest never reaches the
model. Coreference brackets are kept only when both ends fall inside the kept sentences (a mention
cut in two is dropped). LitBank: dbamman/litbank, CC BY 4.0 (see LICENSE.md beside the output).
"""
import argparse
import os
import re


def cut_document(lines, min_words):
    sentences, current = [], []
    for line in lines:
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        current.append(line.split("\t"))
    if current:
        sentences.append(current)
    kept, words = [], 0
    for s in sentences:
        if words >= min_words:
            break
        kept.append(s)
        words += len(s)
    # Balance the brackets of the kept tokens: an opening "(N" needs its "N)".
    tokens = [t for s in kept for t in s]
    opened, pairs = {}, set()
    for index, t in enumerate(tokens):
        for part in t[-1].strip().split("|"):
            m = re.fullmatch(r"\((\d+)\)", part)
            if m:
                pairs.add((index, index, m.group(1)))
                continue
            m = re.fullmatch(r"\((\d+)", part)
            if m:
                opened.setdefault(m.group(1), []).append(index)
                continue
            m = re.fullmatch(r"(\d+)\)", part)
            if m and opened.get(m.group(1)):
                pairs.add((opened[m.group(1)].pop(), index, m.group(1)))
    marks = [[] for _ in tokens]
    for start, end, entity in sorted(pairs):
        if start == end:
            marks[start].append("(%s)" % entity)
        else:
            marks[start].append("(%s" % entity)
            marks[end].append("%s)" % entity)
    out, index = [], 0
    for s in kept:
        for t in s:
            out.append("\t".join(t[:-1] + ["|".join(marks[index])]) + "\n")
            index += 1
        out.append("\n")
    return out, words


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("litbank_dir")
    ap.add_argument("out")
    ap.add_argument("--min-words", type=int, default=160)
    args = ap.parse_args()
    out, docs, words = [], 0, 0
    for name in sorted(os.listdir(args.litbank_dir)):
        if not name.endswith(".conll"):
            continue
        with open(os.path.join(args.litbank_dir, name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        begin, end = lines[0], next(l for l in lines if l.startswith("#end document"))
        body = lines[1:lines.index(end)]
        kept, n = cut_document(body, args.min_words)
        out += [begin + "\n"] + kept + [end + "\n"]
        docs, words = docs + 1, words + n
    with open(args.out, "w", encoding="utf-8") as f:
        f.writelines(out)
    print("%d documents, %d words -> %s" % (docs, words, args.out))


if __name__ == "__main__":
    main()
