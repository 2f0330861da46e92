"""Build holdout_ae.jsonl from the hand-written holdout_ae.yaml (deterministic; see ../handwritten.py).

Usage: python datasets/manipulation/holdout_ae/build.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import handwritten

SET = handwritten.HandwrittenSet(Path(__file__).resolve().parent, split="holdout_ae", id_prefix="holdoutae")

if __name__ == "__main__":
    raise SystemExit(SET.main(sys.argv[1:]))
