"""Build holdout_al.jsonl from the hand-written holdout_al.yaml (deterministic; see ../handwritten.py).

Usage: python datasets/manipulation/holdout_al/build.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import handwritten

SET = handwritten.HandwrittenSet(Path(__file__).resolve().parent, split="holdout_al", id_prefix="holdoutal")

if __name__ == "__main__":
    raise SystemExit(SET.main(sys.argv[1:]))
