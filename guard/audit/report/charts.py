"""Inline SVG charts for the HTML report: no script, no external resource, prints as vectors."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["COLOURS", "bar_chart", "stacked_chart"]

COLOURS = {"pass": "#4c9a6a", "annotate": "#d9a441", "rewrite": "#d9733f", "block": "#b8403a"}
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    magnitude = 10 ** (len(str(value)) - 1)
    step = next(step for step in (1, 2, 5, 10) if value <= step * magnitude)
    return int(step * magnitude)


def stacked_chart(points: list[dict[str, Any]], keys: tuple[str, ...], *, title: str,
                  width: int = 880, height: int = 240) -> str:
    """Stacked columns, one per time bucket, one colour per key, with a legend."""
    left, bottom, top = 48, 28, 24
    plot_w, plot_h = width - left - 10, height - bottom - top
    total_max = _nice_max(max((sum(p[k] for k in keys) for p in points), default=0))
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" {_FONT}>{total_max}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" {_FONT}>0</text>']
    slot = plot_w / max(len(points), 1)
    bar_w = max(slot * 0.8, 1.0)
    for index, point in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h
        for key in keys:
            h = plot_h * point[key] / total_max
            if h <= 0:
                continue
            y -= h
            parts.append(f'<rect class="bar bar-{key}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS.get(key, "#777")}">'
                         f"<title>{escape(str(point['t']))} {key}: {point[key]}</title></rect>")
    if points:
        parts.append(f'<text x="{left}" y="{height - 8}" {_FONT}>{escape(str(points[0]["t"]))}</text>')
        parts.append(f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" {_FONT}>'
                     f'{escape(str(points[-1]["t"]))}</text>')
    for index, key in enumerate(keys):
        x = left + index * 90
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{COLOURS.get(key, "#777")}"/>'
                     f'<text x="{x + 14}" y="13" {_FONT}>{key}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: list[tuple[str, int]], *, title: str, width: int = 880, colour: str = "#4a6fa5") -> str:
    """Horizontal bars, one per label, longest first."""
    row, left = 22, 220
    height = row * max(len(items), 1) + 10
    top = _nice_max(max((value for _label, value in items), default=0))
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        w = (width - left - 70) * value / top
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" {_FONT}>{escape(label)}</text>'
                     f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
                     f"<title>{escape(label)}: {value}</title></rect>"
                     f'<text x="{left + w + 6:.1f}" y="{y + 14}" {_FONT}>{value}</text>')
    if not items:
        parts.append(f'<text x="10" y="20" {_FONT}>nothing in this period</text>')
    parts.append("</svg>")
    return "".join(parts)
