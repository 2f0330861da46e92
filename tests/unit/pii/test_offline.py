"""Nothing reaches the network: the analyzer is built and used with sockets blocked but for loopback."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from guard.core.config import GuardSettings
from guard.core.subjects import SubjectHasher
from guard.pii import build_stages
from guard.pii import recognizers as recognizers_module

from .conftest import chat, redact_request

_LOOPBACK = ("127.", "::1", "localhost")


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any connection or name lookup outside loopback raises NetworkUsed and is remembered."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if not host.startswith(_LOOPBACK) and self.family != socket.AF_UNIX:
            attempts.append(host)
            raise NetworkUsed(f"network connection to {host}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not str(host).startswith(_LOOPBACK):
            attempts.append(str(host))
            raise NetworkUsed(f"name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


@pytest.mark.slow
async def test_build_and_redact_offline(no_network: list[str], tmp_path: Any) -> None:
    """Building the stages (spaCy model, suffix list) and redacting e-mails and URLs needs no network."""
    recognizers_module._offline_suffixes.cache_clear()
    from guard.pii import _factory

    _factory._ANALYZERS.clear()
    settings = GuardSettings(data_dir=str(tmp_path), pii={"entities": ["PERSON", "EMAIL_ADDRESS", "URL"]})
    redact, _ = build_stages(settings, hasher=SubjectHasher(b"s" * 32))
    try:
        exchange = chat("I'm Sarah Connor, mail me at sarah@skynet.co.uk or see https://sarah.example.museum/x")
        decision = await redact_request(redact, exchange)
        assert "sarah@" not in exchange.messages[0].text
        assert decision.redactions["EMAIL_ADDRESS"] == 1
    finally:
        await redact.aclose()
    assert no_network == []
