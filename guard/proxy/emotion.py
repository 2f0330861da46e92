"""`POST /guard/emotion/{name}`: an emotion-recognition model behind the pipeline.

Each name is configured under `emotion_routes` with the model's URL, the JSONPath of the text
in the request and the JSONPath of the labels in the response. The exchange is an emotion
exchange (`model_kind = emotion`, purpose `emotion_inference`), so the admit policy applies
consent and the workplace/education prohibition (EU AI Act Art. 5(1)(f)) before anything is
sent. The text is redacted on its way to the model. The labels that come back become findings
(detector `emotion.<name>`); the judge applies the policy's obligations to them (dropped where
emotion inference is forbidden, scores capped where the locale is not validated, notices), and
the answer carries the labels as the policy left them, plus the notices (Art. 50(3)).

Answer shape: `{labels: [{label, score}], result: <the model's JSON, adjusted>, notices: [...],
guard: {decision, action}}`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from guard.core.config import EmotionRoute, GuardSettings, UpstreamSettings
from guard.core.context import Context, ModelKind
from guard.core.decision import Decision, Finding
from guard.core.exchange import Exchange, Message
from guard.errors import BadRequest, ConfigError, GuardError, NotFound, UpstreamError
from guard.proxy.door import Door, guard_headers
from guard.proxy.upstream import Upstream

__all__ = ["EmotionLabel", "emotion_upstreams", "find_labels", "infer_emotion"]

API = "guard.emotion"
PURPOSE = "emotion_inference"


@lru_cache(maxsize=256)
def _compiled(expression: str) -> Any:
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext.parser import parse

    try:
        return parse(expression)
    except (JsonPathLexerError, JsonPathParserError, ValueError, AttributeError):
        raise ConfigError(f"{expression!r} is not a valid JSONPath expression.",
                          hint="Fix emotion_routes.<name>.text / .labels (e.g. '$.inputs', '$[*]').") from None


def _route_key(name: str) -> str:
    return f"emotion.{name}"


def emotion_upstreams(settings: GuardSettings, *, transport: httpx.AsyncBaseTransport | None = None,
                      ) -> dict[str, Upstream]:
    """One pooled client per configured route, keyed `emotion.<name>`; JSONPaths are checked here."""
    upstreams: dict[str, Upstream] = {}
    for name, route in settings.emotion_routes.items():
        _compiled(route.text)
        _compiled(route.labels)
        url = httpx.URL(route.url)
        base = UpstreamSettings(base_url=f"{url.scheme}://{url.netloc.decode('ascii')}", api_key_env=None,
                                read_timeout_s=route.timeout_s)
        upstreams[_route_key(name)] = Upstream(base, transport=transport, auth_header=route.auth_header)
    return upstreams


@dataclass(slots=True)
class EmotionLabel:
    """One label in the model's answer, with the means to change or remove it there."""

    label: str
    score: float
    set_score: Callable[[float], None]
    remove: Callable[[], None]


def _score(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UpstreamError("The emotion model's answer has a label score that is not a number.")
    return float(value)


def _item_label(item: dict[str, Any], parent: Any, route: EmotionRoute) -> EmotionLabel:
    label = item.get(route.label_key)
    if not isinstance(label, str):
        raise UpstreamError(f"The emotion model's answer has a label item without a string '{route.label_key}'.")

    def set_score(value: float) -> None:
        item[route.score_key] = value

    def remove() -> None:
        if isinstance(parent, list):
            parent[:] = [other for other in parent if other is not item]
        elif isinstance(parent, dict):
            for key in [k for k, v in parent.items() if v is item]:
                del parent[key]

    return EmotionLabel(label, _score(item.get(route.score_key)), set_score, remove)


def _mapping_labels(mapping: dict[str, Any]) -> list[EmotionLabel]:
    def entry(key: str) -> EmotionLabel:
        def set_score(value: float) -> None:
            mapping[key] = value

        def remove() -> None:
            mapping.pop(key, None)

        return EmotionLabel(key, _score(mapping[key]), set_score, remove)

    return [entry(key) for key in list(mapping)]


def find_labels(data: Any, route: EmotionRoute) -> list[EmotionLabel]:
    """The labels at the route's JSONPath: `[{label, score}]` items, or `{label: score}` mappings."""
    labels: list[EmotionLabel] = []
    for match in _compiled(route.labels).find(data):
        value, parent = match.value, match.context.value if match.context else None
        if isinstance(value, dict) and route.label_key in value:
            labels.append(_item_label(value, parent, route))
        elif isinstance(value, dict):
            labels.extend(_mapping_labels(value))
        elif isinstance(value, list):
            labels.extend(_item_label(item, value, route) for item in value if isinstance(item, dict))
        else:
            raise UpstreamError("The emotion model's answer has something other than labels at the labels path.",
                                hint="Check emotion_routes.<name>.labels.")
    return labels


def _exchange(door: Door, body: dict[str, Any], route: EmotionRoute) -> tuple[Exchange, list[Any]]:
    matches = [m for m in _compiled(route.text).find(body) if isinstance(m.value, str)]
    if not matches:
        raise BadRequest(f"The request has no text at {route.text}.",
                         hint="Send the text where this emotion route expects it.")
    base = door.make_context()
    context = Context.model_validate({**base.model_dump(), "model_kind": ModelKind.EMOTION,
                                      "purposes": sorted({*base.purposes, PURPOSE})})
    door.context = context
    messages = [Message("user", m.value, ("$", str(m.full_path)), kind="input") for m in matches]
    return Exchange(context=context, messages=messages, api=API), matches


def _headers(door: Door, name: str, route: EmotionRoute) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    key = door.guard.settings.auth.upstream_key(door.tenant, _route_key(name)) or route.api_key.read()
    if key:
        headers[route.auth_header] = f"Bearer {key}" if route.auth_header.lower() == "authorization" else key
    return headers


async def _call_model(door: Door, decision: Decision, name: str, route: EmotionRoute,
                      payload: dict[str, Any]) -> Any:
    upstream: Upstream = door.request.app.state.upstreams[_route_key(name)]
    response = await upstream.request("POST", httpx.URL(route.url).raw_path.decode("ascii"), json=payload,
                                      headers=_headers(door, name, route))
    if response.status_code >= 400:
        return await door.upstream_failure(decision, response)
    try:
        return response.json()
    except ValueError:
        raise UpstreamError("The emotion model answered with something that is not JSON.") from None


def _apply(labels: list[EmotionLabel], decision: Decision, detector: str) -> list[dict[str, Any]]:
    """Write the findings the judge left back into the model's answer; the labels as the caller sees them."""
    kept = {f.start: f for f in decision.findings if f.detector == detector}
    out = []
    for index, label in enumerate(labels):
        finding = kept.get(index)
        if finding is None:
            label.remove()
            continue
        if finding.score != label.score:
            label.set_score(finding.score)
        out.append({"label": label.label, "score": finding.score})
    return out


async def infer_emotion(request: Request) -> Response:
    door = Door(request, api=API)
    decision: Decision | None = None
    try:
        name = request.path_params["name"]
        route = door.guard.settings.emotion_routes.get(name)
        if route is None or _route_key(name) not in request.app.state.upstreams:
            raise NotFound("No emotion route by that name is configured.",
                           hint="Routes are configured under emotion_routes in the config file.")
        body = await door.json_body()
        exchange, matches = _exchange(door, body, route)
        decision = await door.start(exchange)
        payload = copy.deepcopy(body)
        for match, message in zip(matches, exchange.messages, strict=True):
            match.full_path.update(payload, message.text)
        result = await _call_model(door, decision, name, route, payload)
        if isinstance(result, Response):
            return result
        detector = _route_key(name)
        labels = find_labels(result, route)
        decision.findings.extend(Finding(detector, label.label, label.score, index, index + 1)
                                 for index, label in enumerate(labels))
        await door.guard.pipeline.finish(exchange, decision)
        answer = {"labels": _apply(labels, decision, detector), "result": result, "notices": list(decision.notices),
                  "guard": {"decision": decision.id, "action": decision.action.value}}
        return JSONResponse(answer, headers=guard_headers(decision))
    except GuardError as error:
        return await door.failure(error, decision)
