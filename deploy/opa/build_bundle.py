"""Build an OPA bundle (bundle.tar.gz) from an Empathy Guard policy pack, for OPA's bundle service.

    python deploy/opa/build_bundle.py [POLICY_DIR] [--out deploy/opa/build/bundle.tar.gz]

Layout inside the tarball (OPA's bundle format):

    /.manifest                 {"revision": "<pack digest>", "roots": ["guard", "regimes", ...]}
    /guard/admit.rego ...      the serving modules (`*_test.rego` left out)
    /regimes/data.json ...     each `data/<name>.json` of the pack, at the path it has in `data`

The manifest's revision is the same SHA-256 digest the embedded engine reports as
`policy_revision`, so OPA's decision logs (`bundles.guard.revision`) and Empathy Guard's decision
records name the same policy version. Serve the file from any HTTP server (nginx, S3, ...) and point
OPA's `bundles` configuration at it (deploy/opa/opa.yaml).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def bundle_files(policy_dir: Path) -> dict[str, bytes]:
    """Path inside the bundle -> bytes, for every file OPA should load."""
    from guard.policy.bundle import load_bundle

    pack = load_bundle(policy_dir)  # raises PolicyError for a broken pack: never publish one
    files: dict[str, bytes] = {}
    for name, source in pack.modules.items():
        files[name.replace("\\", "/")] = source.encode("utf-8")
    roots = {name.split("/", 1)[0] for name in files}
    for name, value in _flatten(pack.data):
        files[f"{name}/data.json"] = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
        roots.add(name.split("/", 1)[0])
    manifest = {"revision": pack.revision, "roots": sorted(roots),
                "metadata": {"source": "empathy-guard policy pack"}}
    files[".manifest"] = json.dumps(manifest, indent=1).encode("utf-8")
    return files


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    # Each top-level document of the pack is one data.json; the pack mounts files, not nested keys.
    return [(f"{prefix}{key}", value) for key, value in sorted(data.items())]


def write_bundle(policy_dir: Path, out: Path) -> dict[str, Any]:
    files = bundle_files(policy_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name="/" + name)
            info.size = len(files[name])
            info.mtime = 0  # reproducible: the same pack gives the same tarball
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    # gzip's header carries a timestamp too: pin it, or two builds of one pack would differ.
    out.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    manifest: dict[str, Any] = json.loads(files[".manifest"])
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policy_dir", nargs="?", type=Path, default=ROOT / "policies")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "build" / "bundle.tar.gz")
    args = parser.parse_args(argv)
    from guard.errors import GuardError

    try:
        manifest = write_bundle(args.policy_dir, args.out)
    except GuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} (revision {manifest['revision'][:12]}, roots {', '.join(manifest['roots'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
