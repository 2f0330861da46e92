"""The audit sink failing for real: a full disk (EFBIG) and a missing or wrong signing key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from guard._guard import Guard
from guard.audit import audit_root
from guard.cli import audit as audit_cli
from guard.core.config import GuardSettings
from guard.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def verify(settings: GuardSettings) -> dict[str, object]:
    app = typer.Typer()
    audit_cli.register(app)
    result = CliRunner().invoke(app, ["audit", "verify", str(audit_root(settings)), "--json"])
    doc: dict[str, object] = json.loads(result.stdout)
    doc["exit_code"] = result.exit_code
    return doc


@pytest.mark.integration
def test_a_full_disk_fails_closed_and_leaves_a_chain_that_verifies(settings: GuardSettings, tmp_path: Path) -> None:
    """While the audit file cannot grow every exchange is refused (503); afterwards the log verifies whole."""
    state = tmp_path / "state"
    child = subprocess.run([sys.executable, str(ROOT / "tests" / "faults" / "audit_full_child.py"), str(state)],
                           capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    assert out["before"] == [200, 200, 200]
    assert out["during"] == [503, 503, 503]
    assert set(out["during_codes"]) == {"state_unavailable"}
    assert out["after"] == [200, 200, 200], "the sink did not recover once space was back"
    result = verify(GuardSettings(data_dir=str(state)))
    assert result["ok"] is True, result
    assert result["exit_code"] == 0
    assert result["records"] >= 6  # type: ignore[operator]
    segments = audit_root(GuardSettings(data_dir=str(state))).rglob("*.jsonl")
    log = "".join(p.read_text(errors="replace") for p in segments)
    for decision_id in out["ok_ids"]:
        assert decision_id in log, "an answered exchange is missing from the audit log"


def test_a_missing_configured_signing_key_is_a_clear_startup_error(settings: GuardSettings, tmp_path: Path) -> None:
    """audit.signing_key_file pointing nowhere stops start-up with a ConfigError that says what to run."""
    settings.audit.signing_key_file = str(tmp_path / "nope.pem")
    with pytest.raises(ConfigError, match="does not exist") as raised:
        Guard.from_config(settings)
    assert "guard audit keygen" in str(raised.value)


@pytest.mark.parametrize(("content", "words"), [
    (b"not a key at all", "not an unencrypted PEM private key"),
    (b"", "not an unencrypted PEM private key"),
])
def test_a_wrong_signing_key_is_a_clear_startup_error(settings: GuardSettings, tmp_path: Path,
                                                       content: bytes, words: str) -> None:
    """A garbage or empty key file is refused at start-up, naming the file, never serving unsigned."""
    key = tmp_path / "bad.pem"
    key.write_bytes(content)
    settings.audit.signing_key_file = str(key)
    with pytest.raises(ConfigError, match=words):
        Guard.from_config(settings)


def test_a_non_ed25519_key_is_refused(settings: GuardSettings, tmp_path: Path) -> None:
    """An RSA key where Ed25519 is required is a ConfigError, not a crash at the first record."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = tmp_path / "rsa.pem"
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    settings.audit.signing_key_file = str(key)
    with pytest.raises(ConfigError, match="not an Ed25519 key"):
        Guard.from_config(settings)


def test_the_server_refuses_to_start_without_its_key(settings: GuardSettings, tmp_path: Path) -> None:
    """`guard serve` with a missing key exits 2 with the message (no half-started server)."""
    config = tmp_path / "guard.yaml"
    config.write_text(f"data_dir: {tmp_path / 'state'}\naudit:\n  signing_key_file: {tmp_path / 'missing.pem'}\n")
    result = subprocess.run([str(Path(sys.executable).with_name("guard")), "serve", "--config", str(config),
                             "--port", "0"], capture_output=True, text=True, timeout=120, check=False)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output
    assert "configuration error: The audit signing key file" in output
    assert "does not exist" in output
    assert "Traceback" not in output
