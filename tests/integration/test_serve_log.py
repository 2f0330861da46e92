"""`guard serve` writes no access log: its lines would carry concrete paths, and consent routes hold the
subject id in the path."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.guard_process import guard_serve

pytestmark = pytest.mark.integration


def test_a_subject_id_in_a_route_path_reaches_no_log_line(tmp_path: Path) -> None:
    subject = "maria.lopez.from.the.path-4711"
    config = tmp_path / "guard.json"
    config.write_text(json.dumps({"data_dir": str(tmp_path / "data")}))
    log = tmp_path / "serve.log"
    with guard_serve(config, log=log) as url:
        granted = httpx.put(f"{url}/guard/consent/{subject}/training", json={}, timeout=10)
        assert granted.status_code == 200, granted.text
        assert httpx.get(f"{url}/guard/consent/{subject}", timeout=10).status_code == 200
        assert httpx.delete(f"{url}/guard/consent/{subject}/training", timeout=10).status_code == 200
        metrics = httpx.get(f"{url}/metrics", timeout=10).text
    assert 'route="/guard/consent/{subject}/{purpose}"' in metrics  # the requests were counted...
    text = log.read_text(errors="replace")
    assert text.strip(), "guard serve wrote no log at all; the test would prove nothing"
    assert subject not in text  # ...but logged nowhere with their path
