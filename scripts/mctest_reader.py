"""MCTest questions for the Python references (scripts/make_mc_reference.py, scripts/bench/hf_mc_train.py).

Reads a release .tsv and the .ans beside it the way bertology's reader does
(pipeline/mcrc/mc_readers.cpp): the story's \\newline and \\tab escapes turned back into characters,
the "one: " / "multiple: " prefix taken off each question, answers A-D as indices.
"""


def read_mctest(tsv):
    """[{"passage", "question", "options", "answer"}] in file order, four questions per story."""
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
