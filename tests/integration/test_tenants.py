"""Tenant isolation with API keys on the full pipeline: a tenant cannot read or change another
tenant's decisions or consents (404, never 403, so existence does not leak), consents apply only
within their tenant, and missing or wrong keys get a bare 401."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import AuthSettings, GuardSettings, TenantKey
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from guard.proxy.auth import hash_key
from tests.support.servers import serve

pytestmark = pytest.mark.integration

A = {"Authorization": "Bearer key-acme"}
B = {"x-api-key": "key-beta"}
A_PROXY_ONLY = {"Authorization": "Bearer key-acme-app"}
CONSENT = "/guard/consent/subject-1/emotion_inference"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    state: Path = tmp_path_factory.mktemp("state")
    settings = GuardSettings(data_dir=str(state), auth=AuthSettings(enabled=True, keys=[
        TenantKey(tenant="acme", key_sha256=hash_key("key-acme"), scopes=["proxy", "admin"]),
        TenantKey(tenant="acme", key_sha256=hash_key("key-acme-app"), scopes=["proxy"]),
        TenantKey(tenant="beta", key_sha256=hash_key("key-beta"), scopes=["proxy", "admin"]),
    ]))
    with serve(ScriptedModel().app()) as model_url:
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        app = create_app(settings, guard=Guard.from_config(settings))
        with serve(app) as url, httpx.Client(base_url=url) as client:
            yield client


BODY = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def context(subject: str, purposes: str = "generation") -> dict[str, str]:
    return {"X-Guard-Subject": subject, "X-Guard-Purposes": purposes}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", CONSENT), ("PUT", CONSENT), ("DELETE", "/guard/subjects/subject-1"), ("GET", "/guard/decisions/x"),
    ("POST", "/v1/chat/completions"), ("POST", "/v1/messages"), ("POST", "/guard/emotion/mood"),
])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"x-api-key": "KEY-ACME"}])
def test_missing_or_wrong_keys_get_a_bare_401(client: httpx.Client, method: str, path: str,
                                                    headers: dict[str, str]) -> None:
    """Every non-public route answers 401 without naming any tenant."""
    response = client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert "acme" not in response.text
    assert "beta" not in response.text
    assert "x-guard-decision" not in response.headers


def test_consents_are_invisible_and_untouchable_across_tenants(client: httpx.Client) -> None:
    """B gets 404 for A's consent (read, withdraw) and its erasure touches nothing of A's."""
    granted = client.put(CONSENT, headers=A, json={"expires_in_days": 30})
    assert granted.status_code == 200, granted.text
    assert (client.get(CONSENT, headers=A)).status_code == 200
    assert (client.get(CONSENT, headers=B)).status_code == 404
    assert (client.delete(CONSENT, headers=B)).status_code == 404
    assert (client.get("/guard/consent/subject-1", headers=B)).json() == {"consents": []}
    erased = client.delete("/guard/subjects/subject-1", headers=B)
    assert erased.json()["erased"]["consents"] == 0
    still = client.get(CONSENT, headers=A)
    assert still.status_code == 200
    assert still.json()["withdrawn_at"] is None


def test_a_consent_only_counts_in_its_own_tenant(client: httpx.Client) -> None:
    """A's consent lets A's request with that purpose through; the same request from B is refused."""
    assert (client.put("/guard/consent/subject-2/emotion_inference", headers=A)).status_code == 200
    a = client.post("/v1/chat/completions", json=BODY, headers={**A, **context("subject-2", "emotion_inference")})
    b = client.post("/v1/chat/completions", json=BODY, headers={**B, **context("subject-2", "emotion_inference")})
    assert a.status_code == 200, a.text
    assert b.status_code == 403
    assert b.json()["error"]["code"] == "consent_required"


def test_decisions_are_tenant_scoped_and_need_admin(client: httpx.Client) -> None:
    """A's decision: readable with A's admin key, 403 with A's proxy-only key, 404 for B (same as unknown)."""
    made = client.post("/v1/chat/completions", json=BODY, headers={**A_PROXY_ONLY, **context("subject-3")})
    decision_id = made.headers["x-guard-decision"]
    assert (client.get(f"/guard/decisions/{decision_id}", headers=A)).status_code == 200
    assert (client.get(f"/guard/decisions/{decision_id}", headers=A_PROXY_ONLY)).status_code == 403
    other = client.get(f"/guard/decisions/{decision_id}", headers=B)
    unknown = client.get("/guard/decisions/01aaaaaa-0000-7000-8000-000000000000", headers=B)
    assert other.status_code == unknown.status_code == 404
    assert other.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_a_tenant_header_cannot_switch_tenants(client: httpx.Client) -> None:
    """With auth on, X-Guard-Tenant is ignored: the key decides the tenant."""
    response = client.get(CONSENT, headers={**B, "X-Guard-Tenant": "acme"})
    assert response.status_code == 404
