"""The HTML report renders in headless Chromium: charts and tables are laid out, and it screenshots."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from guard.audit import open_source
from guard.audit.report import render
from guard.audit.report.collect import build_report
from guard.core.config import GuardSettings

from .sample_log import write_sample_log

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"),
]

# Runs in the test's own copy of the page only: measures what Chromium actually laid out.
PROBE = """<script>
const box = e => { const r = e.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
const shown = r => box(r)[0] > 0 && box(r)[1] > 0;
const out = {
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({label: s.getAttribute('aria-label'),
            size: box(s), bars: [...s.querySelectorAll('rect.bar')].filter(shown).length})),
  tables: [...document.querySelectorAll('table')].map(t => ({cls: t.className, rows: t.rows.length, size: box(t)})),
  sections: [...document.querySelectorAll('section h2')].map(h => h.textContent),
};
document.body.insertAdjacentHTML('beforeend', '<pre id="probe">' + JSON.stringify(out) + '</pre>');
</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1280,2000"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture
def page(settings: GuardSettings, tmp_path: Path) -> Path:
    write_sample_log(settings)
    path = tmp_path / "report.html"
    path.write_text(render(build_report(open_source(settings), since="2026-11-01", until="2026-11-05"), "html"))
    return path


def test_report_screenshot(page: Path, tmp_path: Path) -> None:
    """Chromium renders the page to a full-size, non-blank PNG (kept when GUARD_TEST_ARTIFACTS is set)."""
    shot = tmp_path / "report.png"
    result = _chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    assert shot.exists(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 2000)
    assert len(data) > 40_000  # a blank page of this size compresses to a few kB
    artifacts = os.environ.get("GUARD_TEST_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / "report.png")


def test_report_charts_and_tables_are_laid_out(page: Path, tmp_path: Path) -> None:
    """In the rendered DOM every chart has visible bars and every table has rows and a size."""
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    result = _chromium("--dump-dom", "--virtual-time-budget=2000", probed.as_uri(), profile=tmp_path / "profile")
    start = result.stdout.rfind('<pre id="probe">')  # the last one: the script's own source has the tag too
    assert start >= 0, result.stderr[-2000:]
    raw = result.stdout[start + len('<pre id="probe">'):result.stdout.index("</pre>", start)]
    layout = json.loads(raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    charts = {c["label"]: c for c in layout["charts"]}
    assert set(charts) == {"Exchanges by action per day", "Consent refusals by purpose",
                           "Redactions by entity type", "Findings by tactic"}
    assert charts["Exchanges by action per day"]["bars"] == 5  # 3 days with data, 5 stacked segments
    assert charts["Redactions by entity type"]["bars"] == 2
    for chart in charts.values():
        assert chart["size"][0] > 300
        assert chart["size"][1] > 20
    tables = {t["cls"]: t for t in layout["tables"]}
    assert tables["regulations"]["rows"] == 13  # header + 12 laws
    assert tables["chains"]["rows"] == 2
    assert all(t["size"][0] > 300 and t["size"][1] > 20 for t in tables.values())
    assert layout["sections"][-1] == "Regulations and the evidence in the records"
