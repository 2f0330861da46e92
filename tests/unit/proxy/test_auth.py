"""Tenant API keys: hashed keys, 401 without detail, scopes, tenant-scoped decisions, and
credentials that never travel upstream except the tenant's own configured one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import AuthSettings, CredentialSource, GuardSettings, TenantKey, TenantSettings
from guard.demo.model_server import ScriptedModel
from guard.errors import ConfigError
from guard.proxy import create_app
from guard.proxy.auth import KeyTable, hash_key, required_scope

KEYS = {"a-proxy": ("acme", ["proxy"]), "a-admin": ("acme", ["admin"]), "b-both": ("beta", ["proxy", "admin"])}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture
async def proxy(settings: GuardSettings, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[httpx.AsyncClient, ScriptedModel]]:
    secret = tmp_path / "beta-openai.key"
    secret.write_text("sk-beta-upstream\n")
    monkeypatch.setenv("ACME_OPENAI_KEY", "sk-acme-upstream")
    settings.auth = AuthSettings(
        enabled=True,
        keys=[TenantKey(tenant=t, key_sha256=hash_key(k), scopes=s) for k, (t, s) in KEYS.items()],  # type: ignore[arg-type]
        tenants={"acme": TenantSettings(upstream_keys={"openai": CredentialSource(env="ACME_OPENAI_KEY")}),
                 "beta": TenantSettings(upstream_keys={"openai": CredentialSource(file=str(secret))})},
    )
    settings.upstreams.openai.base_url = "http://upstream.test/v1"
    settings.upstreams.openai.api_key_env = None
    model = ScriptedModel()
    received_auth: list[str | None] = []
    received_hosts: list[str] = []
    inner = model.app()

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            received_auth.append(dict(scope["headers"]).get(b"authorization", b"").decode() or None)
            received_hosts.append(dict(scope["headers"]).get(b"host", b"").decode())
        await inner(scope, receive, send)

    model.received_auth = received_auth  # type: ignore[attr-defined]
    model.received_hosts = received_hosts  # type: ignore[attr-defined]
    app = create_app(settings, guard=Guard(settings), upstream_transport=httpx.ASGITransport(app=recording))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
        yield client, model


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), {"x-api-key": "nope"}, {"Authorization": "Basic a-proxy"}])
async def test_missing_or_wrong_keys_get_a_bare_401(proxy: Any, headers: dict[str, str]) -> None:
    """No key or a wrong key is 401 with a message that names no tenant, and nothing reaches upstream."""
    client, model = proxy
    response = await client.post("/v1/chat/completions", json=CHAT, headers=headers)
    assert response.status_code == 401
    text = response.text
    assert "acme" not in text
    assert "beta" not in text
    assert response.json()["error"]["type"] == "authentication_error"
    assert model.received == []


async def test_anthropic_route_refuses_in_anthropic_shape(proxy: Any) -> None:
    """The 401 on /v1/messages uses Anthropic's error envelope."""
    client, _ = proxy
    response = await client.post("/v1/messages", json={})
    assert response.status_code == 401
    assert response.json()["type"] == "error"


async def test_health_is_public(proxy: Any) -> None:
    """Health checks need no key."""
    client, _ = proxy
    assert (await client.get("/healthz")).status_code == 200


async def test_the_tenant_key_goes_upstream_never_the_proxy_key(proxy: Any) -> None:
    """Each tenant's configured upstream credential (env or file) replaces the proxy key it presented."""
    client, model = proxy
    assert (await client.post("/v1/chat/completions", json=CHAT, headers=bearer("a-proxy"))).status_code == 200
    assert (await client.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": "b-both"})).status_code == 200
    assert model.received_auth == ["Bearer sk-acme-upstream", "Bearer sk-beta-upstream"]


async def test_scopes_separate_proxy_and_admin_routes(proxy: Any) -> None:
    """A proxy-only key cannot read decisions; an admin-only key cannot call models."""
    client, _ = proxy
    chat = await client.post("/v1/chat/completions", json=CHAT, headers=bearer("a-proxy"))
    decision_id = chat.headers["x-guard-decision"]
    refused = await client.get(f"/guard/decisions/{decision_id}", headers=bearer("a-proxy"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert (await client.post("/v1/chat/completions", json=CHAT, headers=bearer("a-admin"))).status_code == 403


async def test_a_tenant_sees_only_its_own_decisions(proxy: Any) -> None:
    """Tenant B gets 404 (not 403) for tenant A's decision; A's admin key reads it."""
    client, _ = proxy
    chat = await client.post("/v1/chat/completions", json=CHAT, headers=bearer("a-proxy"))
    decision_id = chat.headers["x-guard-decision"]
    own = await client.get(f"/guard/decisions/{decision_id}", headers=bearer("a-admin"))
    assert own.status_code == 200
    assert own.json()["context"]["tenant"] == "acme"
    other = await client.get(f"/guard/decisions/{decision_id}", headers=bearer("b-both"))
    assert other.status_code == 404
    missing = await client.get("/guard/decisions/does-not-exist", headers=bearer("b-both"))
    assert other.json()["error"]["message"] == missing.json()["error"]["message"]


def test_lookup_checks_every_entry_and_matches_only_exact_keys() -> None:
    """The table finds the principal for a key and nothing for near-misses."""
    table = KeyTable(AuthSettings(keys=[TenantKey(tenant="t", key_sha256=hash_key("k1"))]))
    found = table.find("k1")
    assert found is not None
    assert found.tenant == "t"
    assert table.find("k1 ") is None
    assert table.find("") is None


@pytest.mark.parametrize(("path", "scope"), [
    ("/healthz", None), ("/metrics", None), ("/v1/chat/completions", "proxy"), ("/guard/emotion/mood", "proxy"),
    ("/guard/consent/s/p", "admin"), ("/guard/decisions/x", "admin"), ("/guard/subjects/s", "admin"),
    ("/guard/reports", "admin"),
])
def test_paths_need_the_right_scope(path: str, scope: str | None) -> None:
    """Governance routes need admin; model routes need proxy; health is open."""
    assert required_scope(path) == scope


def test_a_key_digest_must_be_sha256_hex() -> None:
    """A plain key in key_sha256 is a configuration error, not a silently useless entry."""
    with pytest.raises(ValueError, match="key_sha256"):
        TenantKey(tenant="t", key_sha256="my-secret-key")


async def test_no_header_can_redirect_upstream_traffic(proxy: Any) -> None:
    """Host, forwarding and made-up upstream headers do not change where the request goes."""
    client, model = proxy
    headers = {**bearer("a-proxy"), "Host": "evil.test", "X-Forwarded-Host": "evil.test",
               "X-Upstream-Url": "http://evil.test/v1", "OpenAI-Base-URL": "http://evil.test/v1"}
    assert (await client.post("/v1/chat/completions", json=CHAT, headers=headers)).status_code == 200
    assert model.received_hosts == ["upstream.test"]


def test_credentials_are_read_from_env_or_file_at_use_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Env wins over file; a file is read fresh (rotation works); a missing file is a ConfigError without the secret."""
    secret = tmp_path / "key"
    secret.write_text("first\n")
    source = CredentialSource(env="EMOTION_KEY", file=str(secret))
    monkeypatch.delenv("EMOTION_KEY", raising=False)
    assert source.read() == "first"
    secret.write_text("rotated")
    assert source.read() == "rotated"
    monkeypatch.setenv("EMOTION_KEY", "from-env")
    assert source.read() == "from-env"
    keys = {"emotion.mood": CredentialSource(env="EMOTION_KEY")}
    auth = AuthSettings(tenants={"t": TenantSettings(upstream_keys=keys)})
    assert auth.upstream_key("t", "emotion.mood") == "from-env"
    assert auth.upstream_key("other", "emotion.mood") is None
    with pytest.raises(ConfigError) as caught:
        CredentialSource(file=str(tmp_path / "missing")).read()
    assert "from-env" not in str(caught.value)
