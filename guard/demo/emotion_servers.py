"""Two scripted stand-ins for emotion-recognition models, shaped differently on purpose.

- `ScriptedClassifier`: `POST /classify {"inputs": text}` → `[{"label", "score"}, ...]`
  (the shape of Hugging Face text-classification endpoints).
- `ScriptedAnalyzer`: `POST /v2/analyze {"document": {"text": text}}` →
  `{"model": ..., "emotions": {"joy": 0.7, ...}}`.

Neither is a model: scores come from counting a few keywords, so tests are deterministic.
Each keeps the bodies it received in `received`, so tests can check what was redacted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["ScriptedAnalyzer", "ScriptedClassifier", "keyword_scores"]

_KEYWORDS = {
    "joy": re.compile(r"\b(happy|glad|great|love|wonderful)\b", re.I),
    "sadness": re.compile(r"\b(sad|lonely|down|miss)\b", re.I),
    "anger": re.compile(r"\b(angry|furious|hate|annoyed)\b", re.I),
    "fear": re.compile(r"\b(afraid|scared|anxious|worried)\b", re.I),
}


def keyword_scores(text: str) -> dict[str, float]:
    """A deterministic stand-in for emotion scores: keyword hits, normalised, with a neutral floor."""
    hits = {label: len(pattern.findall(text)) for label, pattern in _KEYWORDS.items()}
    total = sum(hits.values())
    if total == 0:
        return {"neutral": 0.9, **dict.fromkeys(hits, 0.025)}
    return {label: round(0.05 + 0.9 * count / total, 4) for label, count in hits.items()}


@dataclass
class ScriptedClassifier:
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/classify", self._classify, methods=["POST"])])

    async def _classify(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.received.append(body)
        scores = keyword_scores(str(body.get("inputs", "")))
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        return JSONResponse([{"label": label, "score": score} for label, score in ranked])


@dataclass
class ScriptedAnalyzer:
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v2/analyze", self._analyze, methods=["POST"])])

    async def _analyze(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.received.append(body)
        self.headers.append(dict(request.headers))
        text = str((body.get("document") or {}).get("text", ""))
        return JSONResponse({"model": "scripted-analyzer", "emotions": keyword_scores(text)})
