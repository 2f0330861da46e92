"""Build holdout_am.jsonl from the hand-written holdout_am.yaml (deterministic; see ../handwritten.py).

Usage: python datasets/manipulation/holdout_am/build.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import handwritten

SET = handwritten.HandwrittenSet(Path(__file__).resolve().parent, split="holdout_am", id_prefix="holdoutam")

if __name__ == "__main__":
    raise SystemExit(SET.main(sys.argv[1:]))
