"""Per-entrypoint module sets: an entrypoint gets its package and every package it can reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.errors import PolicyError
from guard.policy import default_policy_dir
from guard.policy.bundle import load_bundle
from guard.policy.closure import modules_for
from guard.policy.embedded import EmbeddedEngine
from guard.policy.rego import ENTRYPOINTS, compile_bundle

MODULES = {
    "a.rego": "package app.a\nimport rego.v1\nimport data.app.shared\nx := shared.y\n",
    "a2.rego": "package app.a\nimport rego.v1\nz := 1\n",
    "shared.rego": "package app.shared\nimport rego.v1\ny := data.app.deep.w\n",
    "deep.rego": "package app.deep\nimport rego.v1\nw := 2\n",
    "b.rego": "package app.b\nimport rego.v1\nv := 3\n",
}


def test_an_entrypoint_gets_its_package_its_files_and_what_they_reach() -> None:
    """Imports and data references are followed transitively; unrelated packages stay out."""
    assert list(modules_for("app/a/x", MODULES)) == ["a.rego", "a2.rego", "shared.rego", "deep.rego"]
    assert list(modules_for("app/b/v", MODULES)) == ["b.rego"]


def test_a_reference_to_a_parent_path_reaches_every_package_under_it() -> None:
    """`data.app[name]` may reach any package under app."""
    modules = {**MODULES, "b.rego": "package app.b\nimport rego.v1\nv := data.app[input.name]\n"}
    assert set(modules_for("app/b/v", modules)) == set(modules)


def test_indexing_data_itself_keeps_every_module() -> None:
    modules = {**MODULES, "b.rego": "package app.b\nimport rego.v1\nv := data[input.name]\n"}
    assert set(modules_for("app/deep/w", modules)) == set(modules)


def test_the_shipped_entries_leave_out_what_they_do_not_use() -> None:
    """admit runs without output.rego, output and texts without admit.rego and consent.rego."""
    pack = load_bundle(default_policy_dir())
    assert set(modules_for(ENTRYPOINTS["admit"], pack.modules)) == {
        "guard/admit.rego", "guard/consent.rego", "guard/culture.rego"}
    assert set(modules_for(ENTRYPOINTS["output"], pack.modules)) == {"guard/output.rego", "guard/culture.rego"}
    compiled = compile_bundle(pack)
    assert compiled.bundles[ENTRYPOINTS["output"]] is compiled.bundles[ENTRYPOINTS["texts"]]
    assert compiled.bundles[ENTRYPOINTS["admit"]] is not compiled.bundles[ENTRYPOINTS["output"]]


def test_a_broken_module_that_no_entrypoint_reaches_still_fails_the_pack(pack_copy: Path) -> None:
    """The whole pack is compiled too, so a broken edit anywhere keeps the last good bundle."""
    (pack_copy / "guard" / "unused.rego").write_text("package guard.unused\nimport rego.v1\nbroken if {\n")
    with pytest.raises(PolicyError, match=r"guard/unused\.rego:\d+:\d+"):
        EmbeddedEngine(pack_copy, reload=False)
