"""The remote engine: an OPA server, through `opa-python-client`'s async client.

With `push` (policy.opa_push, the default) the pack is uploaded at first use: every module with
`PUT /v1/policies/<path>` and every data document with `PUT /v1/data/<name>`; the revision is the
pack's digest. Without it, OPA is expected to serve the pack from its own bundles and the revision
is reported as `opa:<url>`. Every failure (connection, timeout, HTTP error, undefined result)
raises PolicyError, so the pipeline fails closed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from guard.errors import ConfigError, PolicyError
from guard.policy.bundle import load_bundle
from guard.policy.engine import Entry, Evaluation
from guard.policy.rego import ENTRYPOINTS

__all__ = ["OpaEngine"]


def _split(url: str) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"policy.opa_url must be an http(s) URL, got {url!r}.",
                          hint="For example http://127.0.0.1:8181")
    secure = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if secure else 80), secure


class OpaEngine:
    def __init__(self, url: str, *, policy_dir: Path | None, timeout_s: float = 2.0) -> None:
        self.url = url
        self.policy_dir = policy_dir
        self.timeout_s = timeout_s
        self._host, self._port, self._secure = _split(url)
        self._client: Any = None
        self._lock: asyncio.Lock | None = None
        self._revision = f"opa:{url}"
        self.reloads = 0          # OPA reloads its own bundles; nothing is swapped here
        self.reload_failures = 0

    @property
    def revision(self) -> str:
        return self._revision

    async def _ready(self) -> Any:
        if self._client is not None:
            return self._client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None:
                from opa_client.opa_async import AsyncOpaClient

                client = AsyncOpaClient(host=self._host, port=self._port, ssl=self._secure,
                                        timeout=self.timeout_s, retries=0)
                await client.__aenter__()
                try:
                    if self.policy_dir is not None:
                        await self._push(client, self.policy_dir)
                except BaseException:
                    await client.close_connection()
                    raise
                self._client = client
        return self._client

    async def _push(self, client: Any, policy_dir: Path) -> None:
        pack = load_bundle(policy_dir)
        for name, source in pack.modules.items():
            policy_id = name.removesuffix(".rego").replace("\\", "/")
            await client.update_policy_from_string(source, policy_id, rego_compat=False)
        for name, value in pack.data.items():
            await client.update_or_create_data(value, name)
        self._revision = pack.revision

    async def evaluate(self, entry: Entry, document: dict[str, Any]) -> Evaluation:
        path = ENTRYPOINTS[entry]
        package, rule = path.rsplit("/", 1)
        try:
            client = await asyncio.wait_for(self._ready(), timeout=self.timeout_s * 4)
            answer = await asyncio.wait_for(
                client.query_rule(input_data=document, package_path=package, rule_name=rule),
                timeout=self.timeout_s,
            )
        except PolicyError:
            raise
        except Exception as exc:  # connection refused, timeout, HTTP status, rejected upload: fail closed
            raise PolicyError(
                f"The OPA server at {self.url} could not evaluate {path} ({type(exc).__name__}).",
                hint="Check policy.opa_url and that OPA is up; the exchange was refused (fail closed).",
            ) from None
        value = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(value, dict):
            raise PolicyError(f"OPA returned no decision for {path} (undefined or not an object).",
                              hint="Check that the pack is loaded in OPA (policy.opa_push, or OPA bundles).")
        return Evaluation(value=value, revision=self._revision)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close_connection()
            self._client = None
