"""Build holdout_an.jsonl from the hand-written holdout_an.yaml (deterministic; see ../handwritten.py).

Usage: python datasets/manipulation/holdout_an/build.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import handwritten

SET = handwritten.HandwrittenSet(Path(__file__).resolve().parent, split="holdout_an", id_prefix="holdoutan")

if __name__ == "__main__":
    raise SystemExit(SET.main(sys.argv[1:]))
