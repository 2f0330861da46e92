"""The OPA bundle built from the pack has OPA's layout and names the same revision as Empathy Guard."""

from __future__ import annotations

import importlib.util
import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from guard.errors import PolicyError
from guard.policy.bundle import load_bundle

ROOT = Path(__file__).resolve().parents[2]
OPA = ROOT / "deploy" / "opa"


def builder() -> Any:
    spec = importlib.util.spec_from_file_location("build_bundle", OPA / "build_bundle.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        out = {}
        for info in tar.getmembers():
            handle = tar.extractfile(info)
            assert handle is not None
            out[info.name.lstrip("/")] = handle.read()
    return out


def test_the_bundle_has_opas_layout_and_the_packs_revision(tmp_path: Path) -> None:
    """.manifest carries the pack digest and roots; modules keep their paths; data sits at <name>/data.json."""
    out = tmp_path / "bundle.tar.gz"
    manifest = builder().write_bundle(ROOT / "policies", out)
    files = members(out)
    pack = load_bundle(ROOT / "policies")
    assert json.loads(files[".manifest"]) == manifest
    assert manifest["revision"] == pack.revision
    for name, source in pack.modules.items():
        assert files[name].decode() == source
    assert not [name for name in files if name.endswith("_test.rego")]
    for name, value in pack.data.items():
        assert json.loads(files[f"{name}/data.json"]) == value
    top_levels = {name.split("/", 1)[0] for name in files if name != ".manifest"}
    assert set(manifest["roots"]) == top_levels


def test_the_bundle_is_reproducible(tmp_path: Path) -> None:
    """The same pack gives byte-identical tarballs (stable digests for caches and signatures)."""
    build = builder()
    build.write_bundle(ROOT / "policies", tmp_path / "a.tar.gz")
    time.sleep(1.1)  # a timestamp anywhere in the archive would now differ
    build.write_bundle(ROOT / "policies", tmp_path / "b.tar.gz")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()


def test_a_broken_pack_is_never_published(tmp_path: Path) -> None:
    """A data file that is not JSON stops the build (exit 2) and writes no bundle."""
    pack = tmp_path / "pack"
    (pack / "guard").mkdir(parents=True)
    (pack / "data").mkdir()
    (pack / "guard" / "a.rego").write_text("package guard.a\n\nimport rego.v1\n\nx := 1\n")
    (pack / "data" / "broken.json").write_text("{not json")
    with pytest.raises(PolicyError):
        builder().write_bundle(pack, tmp_path / "out.tar.gz")
    assert builder().main([str(pack), "--out", str(tmp_path / "out.tar.gz")]) == 2
    assert not (tmp_path / "out.tar.gz").exists()


def test_opa_is_configured_to_pull_this_bundle_and_log_decisions() -> None:
    """opa.yaml pulls bundle.tar.gz as bundle 'guard' and logs decisions; compose serves the build dir."""
    config = yaml.safe_load((OPA / "opa.yaml").read_text())
    bundle = config["bundles"]["guard"]
    assert bundle["resource"] == "/bundle.tar.gz"
    assert bundle["service"] in config["services"]
    assert config["decision_logs"]["console"] is True
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "docker-compose.yml").read_text())
    assert "../opa/build:/usr/share/nginx/html:ro" in compose["services"]["bundle-server"]["volumes"]
    assert config["services"][bundle["service"]]["url"] == "http://bundle-server"
