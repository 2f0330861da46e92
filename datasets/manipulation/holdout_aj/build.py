"""Build holdout_aj.jsonl from the hand-written holdout_aj.yaml (deterministic; see ../handwritten.py).

Usage: python datasets/manipulation/holdout_aj/build.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import handwritten

SET = handwritten.HandwrittenSet(Path(__file__).resolve().parent, split="holdout_aj", id_prefix="holdoutaj")

if __name__ == "__main__":
    raise SystemExit(SET.main(sys.argv[1:]))
