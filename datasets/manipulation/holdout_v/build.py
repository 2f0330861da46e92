"""Build holdout_v.jsonl from the hand-written holdout_v.yaml (deterministic; see ../handwritten.py).

Usage: python datasets/manipulation/holdout_v/build.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import handwritten

SET = handwritten.HandwrittenSet(Path(__file__).resolve().parent, split="holdout_v", id_prefix="holdoutv")

if __name__ == "__main__":
    raise SystemExit(SET.main(sys.argv[1:]))
