"""Server-side SVG line charts: no JavaScript, no chart library, no CDN.

Every chart is an ``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>`` (the description states
each line's first and last value in words), draws a legend inside the image (so the file stands alone in the VLR
download), and is meant to be placed next to an HTML table of the same numbers. Lines differ by colour *and* by
dash pattern and marker, so the chart also reads in greyscale. All text is escaped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from localization.services.status import fmt

STYLES = {
    # kind: (colour, stroke width, dash, marker)
    "national": ("#0b4f8a", 3.0, "", "circle"),
    "region": ("#b34700", 2.5, "6 3", "square"),
    "peer": ("#8c96a0", 1.0, "", ""),
    "target": ("#1e6b35", 2.0, "2 4", "diamond"),
}
BREAK_COLOUR = "#a11d1d"
_ids = count(1)


@dataclass
class ChartSeries:
    label: str
    points: dict[int, float]
    kind: str = "national"  # national | region | peer


@dataclass
class TargetMark:
    """A dashed path from the base value to the target, ending in a diamond at (target year, target)."""

    label: str
    target_year: int
    target_value: float
    base_year: int | None = None
    base_value: float | None = None


@dataclass
class Chart:
    svg: SafeString
    title: str
    desc: str
    series: list[ChartSeries] = field(default_factory=list)


def nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1-2-5 steps)."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(n - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < high or len(ticks) < 2:  # the last tick is at or above the highest value
        ticks.append(round(start + len(ticks) * step, 10))
        if len(ticks) > 50:
            break
    return ticks


def year_ticks(first: int, last: int, max_ticks: int = 8) -> list[int]:
    span = max(last - first, 1)
    step = next(s for s in (1, 2, 5, 10, 20, 50) if span / s <= max_ticks)
    start = first - (first % step) if first % step else first
    return [y for y in range(start, last + 1, step) if y >= first]


def _marker(kind: str, x: float, y: float, colour: str, tip: str) -> str:
    tip = f"<title>{escape(tip)}</title>"
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">{tip}</circle>'
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}">{tip}</rect>'
    if kind == "diamond":
        return (f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} L{x:.1f} {y + 5:.1f} L{x - 5:.1f} {y:.1f} Z" '
                f'fill="#fff" stroke="{colour}" stroke-width="2">{tip}</path>')
    return ""


def describe(series: list[ChartSeries], targets: list[TargetMark], breaks, unit: str) -> str:
    """A plain-language description of the chart: first and last value of each line, targets, breaks."""
    parts = [_("Unit: %(unit)s.") % {"unit": unit}] if unit else []
    peers = [s for s in series if s.kind == "peer" and s.points]
    highlighted = any(s.kind == "region" and s.points for s in series)
    for s in series:
        if s.kind == "peer" or not s.points:
            continue
        years = sorted(s.points)
        parts.append(_("%(label)s: %(first_value)s in %(first_year)s, %(last_value)s in %(last_year)s.") % {
            "label": s.label, "first_value": fmt(s.points[years[0]]), "first_year": years[0],
            "last_value": fmt(s.points[years[-1]]), "last_year": years[-1]})
    if peers:
        if highlighted:
            message = ngettext("Thin grey line: %(n)s other region.", "Thin grey lines: %(n)s other regions.", len(peers))
        else:
            message = ngettext("Thin grey line: %(n)s region.", "Thin grey lines: %(n)s regions.", len(peers))
        parts.append(message % {"n": len(peers)})
    for t in targets:
        parts.append(_("%(label)s: %(value)s by %(year)s.") % {
            "label": t.label, "value": fmt(t.target_value), "year": t.target_year})
    if breaks:
        parts.append(_("Series break (change of definition) in: %(years)s.") % {"years": ", ".join(map(str, breaks))})
    if not parts:
        parts.append(_("no data"))
    return " ".join(parts)


def line_chart(
    series: list[ChartSeries], *, title: str, unit: str = "", targets: list[TargetMark] | None = None,
    breaks=(), width: int = 720, height: int = 340, desc: str | None = None,
) -> Chart:
    """Build the SVG. Years on x, values on y; peers drawn first, the highlighted lines on top."""
    targets = [t for t in (targets or []) if t.target_value is not None and t.target_year is not None]
    drawn = [s for s in series if s.points]
    desc = desc or describe(series, targets, breaks, unit)
    uid = next(_ids)
    title_id, desc_id = f"chart-title-{uid}", f"chart-desc-{uid}"

    def head(h: int) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {h}" '
                f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{title_id} {desc_id}" '
                f'font-family="system-ui, sans-serif" font-size="12">'
                f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>')

    if not drawn:
        no_data = escape(_("no data"))
        body = (f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f4f7fa" stroke="#d0d7de"/>'
                f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" fill="#4a4a4a" font-size="16">'
                f'{no_data}</text>')
        return Chart(svg=mark_safe(head(height) + body + "</svg>"), title=title, desc=desc, series=series)

    years = [y for s in drawn for y in s.points]
    values = [v for s in drawn for v in s.points.values()]
    for t in targets:
        years.append(t.target_year)
        values.append(t.target_value)
        if t.base_year is not None and t.base_value is not None:
            years.append(t.base_year)
            values.append(t.base_value)
    first_year, last_year = min(years), max(years)
    if first_year == last_year:
        first_year, last_year = first_year - 1, last_year + 1
    y_ticks = nice_ticks(min(values), max(values))
    y_low, y_high = y_ticks[0], y_ticks[-1]

    legend_items = [s for s in drawn if s.kind != "peer"]
    has_peers = any(s.kind == "peer" for s in drawn)
    legend_rows = len(legend_items) + bool(has_peers) + len(targets) + bool(breaks)
    left, right, top = 64, 16, 16
    bottom = 40 + 18 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    if plot_h < 160:  # grow the canvas instead of squeezing the plot
        height += 160 - plot_h
        plot_h = 160

    def sx(year: float) -> float:
        return left + (year - first_year) / (last_year - first_year) * plot_w

    def sy(value: float) -> float:
        return top + (y_high - value) / (y_high - y_low) * plot_h

    highlighted = any(s.kind == "region" for s in drawn)
    break_label = escape(_("Series break"))
    peers_label = escape(_("other regions") if highlighted else _("regions"))
    out = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#d0d7de"/>']
    for tick in y_ticks:
        y = sy(tick)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e8ed"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4a4a4a">{escape(fmt(tick))}</text>')
    for year in year_ticks(first_year, last_year):
        x = sx(year)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" stroke="#4a4a4a"/>'
                   f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="#4a4a4a">{year}</text>')
    if unit:
        out.append(f'<text x="{left}" y="{top - 4}" fill="#4a4a4a" font-size="11">{escape(unit)}</text>')
    for year in breaks:
        if first_year <= year <= last_year:
            x = sx(year - 0.5) if year - 0.5 >= first_year else sx(year)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{BREAK_COLOUR}" '
                       f'stroke-dasharray="4 3" stroke-width="1.5"><title>{break_label} {year}</title></line>')

    ordered = [s for s in drawn if s.kind == "peer"] + [s for s in drawn if s.kind == "region"] + [
        s for s in drawn if s.kind == "national"]
    for s in ordered:
        colour, stroke, dash, marker = STYLES.get(s.kind, STYLES["national"])
        pts = sorted(s.points.items())
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(y):.1f} {sy(v):.1f}" for i, (y, v) in enumerate(pts))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash_attr} '
                   f'stroke-linejoin="round"><title>{escape(s.label)}</title></path>')
        if marker:
            for y, v in pts:
                out.append(_marker(marker, sx(y), sy(v), colour, f"{s.label}, {y}: {fmt(v)}"))
    for t in targets:
        colour, stroke, dash, marker = STYLES["target"]
        x2, y2 = sx(t.target_year), sy(t.target_value)
        if t.base_year is not None and t.base_value is not None:
            out.append(f'<line x1="{sx(t.base_year):.1f}" y1="{sy(t.base_value):.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                       f'stroke="{colour}" stroke-width="{stroke}" stroke-dasharray="{dash}"/>')
        out.append(_marker(marker, x2, y2, colour, f"{t.label}, {t.target_year}: {fmt(t.target_value)}"))

    # Legend below the plot.
    y = top + plot_h + 38
    for s in legend_items:
        colour, stroke, dash, marker = STYLES.get(s.kind, STYLES["national"])
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{left}" x2="{left + 28}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
                   f'stroke-width="{stroke}"{dash_attr}/>' + _marker(marker, left + 14, y - 4, colour, s.label)
                   + f'<text x="{left + 36}" y="{y}">{escape(s.label)}</text>')
        y += 18
    if has_peers:
        colour = STYLES["peer"][0]
        out.append(f'<line x1="{left}" x2="{left + 28}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}"/>'
                   f'<text x="{left + 36}" y="{y}">{peers_label}</text>')
        y += 18
    for t in targets:
        colour = STYLES["target"][0]
        out.append(f'<line x1="{left}" x2="{left + 28}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" stroke-width="2" '
                   f'stroke-dasharray="2 4"/>' + _marker("diamond", left + 14, y - 4, colour, t.label)
                   + f'<text x="{left + 36}" y="{y}">{escape(t.label)}</text>')
        y += 18
    if breaks:
        out.append(f'<line x1="{left + 14}" x2="{left + 14}" y1="{y - 12}" y2="{y + 2}" stroke="{BREAK_COLOUR}" '
                   f'stroke-dasharray="4 3" stroke-width="1.5"/>'
                   f'<text x="{left + 36}" y="{y}">{break_label}</text>')
    return Chart(svg=mark_safe(head(height) + "".join(out) + "</svg>"), title=title, desc=desc, series=series)
