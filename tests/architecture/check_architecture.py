#!/usr/bin/env python3
"""The layering rules of bertology's source tree, checked on every test run (ctest: architecture).

  1. pipeline/ never includes stages/: the library knows no stage.
  2. A stage includes no other stage: stages/<a>/ includes only stages/<a>/ of stages/.
  3. pipeline/config/ names only core config sections: a stage's keys live in its own section
     (pipeline/config/config_section.h), and config includes no study library.
  4. pipeline/model/ does not include pipeline/cache/ (cache depends on model, not the reverse).

Usage: check_architecture.py SOURCE_DIR. Prints one line per violation (FILE:LINE: rule) and
exits 1 when there is any.
"""
import pathlib
import re
import sys

CORE_SECTIONS = {"study", "model", "tokenizer", "corpus", "input", "extract", "cache", "slurm", "sweep", "campaign",
                 "runtime", "stages"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# A dotted config key in a string literal: "section.key".
KEY_LITERAL = re.compile(r'"([a-z_]+)\.[a-z_]+[a-z0-9_]*"')


def sources(root, folder):
    for path in sorted((root / folder).rglob("*")):
        if path.suffix in (".h", ".cpp", ".inc") and path.is_file():
            yield path


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    problems = []

    def report(path, line_no, rule):
        problems.append(f"{path.relative_to(root)}:{line_no}: {rule}")

    for path in sources(root, "pipeline"):
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1).startswith("stages/"):
                report(path, n, f"pipeline/ includes a stage ({m.group(1)})")
            if m and rel.startswith("pipeline/model/") and m.group(1).startswith("pipeline/cache/"):
                report(path, n, f"pipeline/model/ includes pipeline/cache/ ({m.group(1)})")
            if rel.startswith("pipeline/config/"):
                if m and re.match(r"pipeline/(analysis|probe|mcrc|stage|coref)/", m.group(1)):
                    report(path, n, f"pipeline/config/ includes a study library ({m.group(1)})")
                code = line.split("//", 1)[0]  # examples in comments are not keys
                for key in KEY_LITERAL.finditer(code):
                    section = key.group(1)
                    # File names such as "config.json" are not keys.
                    if section not in CORE_SECTIONS and not re.search(r"\.(json|txt|yaml|h5|csv)\"", key.group(0)):
                        report(path, n, f"pipeline/config/ names a stage's key {key.group(0)}")

    for path in sources(root, "stages"):
        parts = path.relative_to(root).parts
        own = parts[1] if len(parts) > 2 else None
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1).startswith("stages/"):
                other = m.group(1).split("/")[1]
                if other != own:
                    report(path, n, f"a stage includes another stage ({m.group(1)})")

    for p in problems:
        print(p)
    if problems:
        print(f"check_architecture: {len(problems)} violation(s) of the layering rules (see the docstring)")
        return 1
    print("check_architecture: pipeline/ includes no stage, no stage includes another, "
          "pipeline/config names only core keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
