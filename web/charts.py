"""Charts drawn on the server as SVG, each with the table of its numbers: no JavaScript, no CDN.

Public interface (stable; the leader dashboard, the reports and the citizen portal's statistics page
call it):

    bar_chart(rows, *, title, description="", unit="", target=None, max_value=None, value_label="Nilai",
              label_header="Rincian", width=640, decimals=1) -> Chart
        rows: [(label, value or None), …] — one horizontal bar per row.
    line_chart(series, *, labels, title, description="", unit="", target=None, width=640,
               height=240, label_header="Periode", decimals=1) -> Chart
        series: [(name, [value or None for each label]), …] — one line per series over ``labels``.

A :class:`Chart` renders (``{{ chart }}`` in a template) as a ``<figure>`` holding the SVG
(``role="img"`` with ``<title>`` and ``<desc>``, hidden from screen readers' tab order) and an HTML
table of the same numbers, which is what screen readers and printouts read; ``chart.svg`` and
``chart.table`` give the parts alone. Every label is escaped; the markup is safe to insert. Colours
come from a small palette with enough contrast on white and in print (presentation attributes, never
``style=``, so a strict CSP holds; the classes ``chart-bar``, ``chart-line``, ``chart-point``,
``chart-series-N`` and ``chart-target`` let a stylesheet recolour them), and every bar and point also
carries its value as text, so nothing depends on colour alone. The SVG has a fixed ``viewBox``; give
``.chart-svg { max-width: 100%; height: auto; }`` in the page's CSS so it shrinks on a phone.
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

PALETTE = ("#1f5f99", "#b3541e", "#2e7d32", "#6a3d9a", "#8a6d00", "#ad1457")
TARGET_COLOUR = "#c62828"
# Presentation attributes, not style= (pages run under a strict CSP); CSS may override them by class.
FONT = Markup('font-family="system-ui, sans-serif" font-size="13"')
CHAR_WIDTH = 7.2  # an average character at that size, to keep labels from running into each other
_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the accessible table of its numbers."""

    svg: Markup
    table: Markup
    title: str

    def __html__(self) -> str:
        return Markup('<figure class="chart">{svg}<figcaption>{title}</figcaption>{table}</figure>').format(
            svg=self.svg, title=self.title, table=self.table)

    def __str__(self) -> str:
        return self.__html__()


def number(value: float | None, decimals: int = 1) -> str:
    """Return ``value`` as people read it in Indonesia (``1.234,5``); a dash for no value."""
    if value is None:
        return "–"
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def bar_chart(rows: Sequence[tuple[str, float | None]], *, title: str, description: str = "", unit: str = "",
              target: float | None = None, max_value: float | None = None, value_label: str = "Nilai",
              label_header: str = "Rincian", width: int = 640, decimals: int = 1) -> Chart:
    """Draw one horizontal bar per (label, value) row, with an optional target line."""
    rows = [(str(label), None if value is None else float(value)) for label, value in rows]
    ident = f"chart-{next(_ids)}"
    longest = max((len(label) for label, _ in rows), default=0)
    bar_height, gap, right, top = 22, 8, 70, 8
    left = int(min(width * 0.45, max(60, min(38, longest) * CHAR_WIDTH + 12)))
    height = top + max(1, len(rows)) * (bar_height + gap) + 6
    top_value = max([v for _, v in rows if v is not None] + [target or 0, max_value or 0, 0]) or 1
    scale = (width - left - right) / top_value
    parts = [_svg_open(ident, width, height, title, description or _summary(rows, unit, decimals))]
    parts.append(Markup('<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="#555" stroke-width="1"/>').format(
        x=left, y1=top - 4, y2=height - 4))
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_height + gap)
        parts.append(Markup('<text x="{x}" y="{y}" text-anchor="end" {font} fill="#222">{label}</text>')
                     .format(x=left - 6, y=y + bar_height * 0.7, font=FONT, label=_clip(label, 38)))
        length = 0 if value is None else max(0.0, value) * scale
        if value is not None:
            parts.append(Markup('<rect class="chart-bar" x="{x}" y="{y}" width="{w:.1f}" height="{h}" '
                                'fill="{c}"><title>{t}</title></rect>').format(
                x=left, y=y, w=length, h=bar_height, c=PALETTE[0], t=f"{label}: {number(value, decimals)}{unit}"))
        parts.append(Markup('<text x="{x:.1f}" y="{y}" {font} fill="#222">{v}</text>').format(
            x=left + length + 4, y=y + bar_height * 0.7, font=FONT, v=number(value, decimals) + unit))
    if target is not None:
        x = left + target * scale
        parts.append(Markup('<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y2}" stroke="{c}" stroke-width="2" '
                            'stroke-dasharray="6 3" class="chart-target"><title>Target: {t}</title></line>').format(
            x=x, y1=top - 6, y2=height - 2, c=TARGET_COLOUR, t=number(target, decimals) + unit))
    parts.append(Markup("</svg>"))
    table = _table(title, [label_header, f"{value_label}{_unit_suffix(unit)}"],
                   [[label, number(value, decimals)] for label, value in rows],
                   [["Target", number(target, decimals)]] if target is not None else [])
    return Chart(Markup("").join(parts), table, title)


def line_chart(series: Sequence[tuple[str, Sequence[float | None]]], *, labels: Sequence[str], title: str,
               description: str = "", unit: str = "", target: float | None = None, width: int = 640,
               height: int = 240, label_header: str = "Periode", decimals: int = 1) -> Chart:
    """Draw one line per (name, values) series over ``labels``, with an optional target line."""
    labels = [str(label) for label in labels]
    series = [(str(name), [None if v is None else float(v) for v in values]) for name, values in series]
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    ident = f"chart-{next(_ids)}"
    left, right, top, bottom = 48, 16, 12, 48 + 18 * math.ceil(len(series) / 3)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    top_value, tick = _axis(max([*values, target or 0, 0]) or 1, whole=decimals == 0)
    step = plot_w / max(1, len(labels) - 1) if len(labels) > 1 else 0

    def x_of(i: int) -> float:
        return left + (i * step if len(labels) > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h - (value / top_value) * plot_h

    summary = description or "; ".join(
        f"{name}: " + ", ".join(f"{label} {number(v, decimals)}" for label, v in zip(labels, vs, strict=True))
        for name, vs in series)
    parts = [_svg_open(ident, width, height, title, summary)]
    for index in range(round(top_value / tick) + 1):
        value = index * tick
        y = y_of(value)
        parts.append(Markup('<line x1="{l}" y1="{y:.1f}" x2="{r}" y2="{y:.1f}" stroke="#ddd"/>'
                            '<text x="{tx}" y="{ty:.1f}" text-anchor="end" {font} fill="#444">{v}</text>')
                     .format(l=left, r=width - right, y=y, tx=left - 4, ty=y + 4, font=FONT,
                             v=number(value, decimals)))
    # Every label if they fit side by side, else every second, third … one.
    widest = max((len(label) for label in labels), default=1) * CHAR_WIDTH + 8
    every = max(1, math.ceil(widest / step)) if step else 1
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(Markup('<text x="{x:.1f}" y="{y}" text-anchor="middle" {font} fill="#444">{t}'
                                '</text>').format(x=x_of(i), y=top + plot_h + 16, font=FONT, t=_clip(label, 12)))
    if target is not None:
        parts.append(Markup('<line x1="{l}" y1="{y:.1f}" x2="{r}" y2="{y:.1f}" stroke="{c}" stroke-width="2" '
                            'stroke-dasharray="6 3" class="chart-target"><title>Target: {t}</title></line>').format(
            l=left, r=width - right, y=y_of(target), c=TARGET_COLOUR, t=number(target, decimals) + unit))
    for index, (name, vs) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [(x_of(i), y_of(v), v, labels[i]) for i, v in enumerate(vs) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            parts.append(Markup('<polyline class="chart-line chart-series-{n}" points="{p}" fill="none" stroke="{c}" '
                                'stroke-width="2"/>').format(p=path, c=colour, n=index + 1))
        for x, y, v, label in points:
            parts.append(Markup('<circle class="chart-point chart-series-{n}" cx="{x:.1f}" cy="{y:.1f}" r="3.5" '
                                'fill="{c}"><title>{t}</title></circle>')
                         .format(n=index + 1, x=x, y=y, c=colour, t=f"{name}, {label}: {number(v, decimals)}{unit}"))
        legend_x = left + (index % 3) * (plot_w / 3)
        legend_y = top + plot_h + 34 + (index // 3) * 18
        parts.append(Markup('<rect x="{x:.1f}" y="{y}" width="14" height="4" fill="{c}"/>'
                            '<text x="{tx:.1f}" y="{ty}" {font} fill="#222">{n}</text>').format(
            x=legend_x, y=legend_y - 4, c=colour, tx=legend_x + 18, ty=legend_y + 1, font=FONT, n=_clip(name, 30)))
    parts.append(Markup("</svg>"))
    header = [label_header, *(f"{name}{_unit_suffix(unit)}" for name, _ in series)]
    body = [[label, *(number(vs[i], decimals) for _, vs in series)] for i, label in enumerate(labels)]
    footer = [["Target", *(number(target, decimals) for _ in series)]] if target is not None else []
    return Chart(Markup("").join(parts), _table(title, header, body, footer), title)


def _svg_open(ident: str, width: int, height: int, title: str, description: str) -> Markup:
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" width="{w}" height="{h}" '
                  'viewBox="0 0 {w} {h}" preserveAspectRatio="xMinYMin meet" aria-labelledby="{i}-title {i}-desc" '
                  'focusable="false"><title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>').format(
        w=width, h=height, i=ident, t=title, d=description)


def _table(caption: str, header: list[str], body: list[list[str]], footer: list[list[str]]) -> Markup:
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(cell) for cell in header)
    rows = Markup("").join(
        Markup("<tr><th scope=\"row\">{}</th>{}</tr>").format(
            row[0], Markup("").join(Markup('<td class="numeric">{}</td>').format(c) for c in row[1:]))
        for row in body)
    foot = Markup("").join(
        Markup("<tr><th scope=\"row\">{}</th>{}</tr>").format(
            row[0], Markup("").join(Markup('<td class="numeric">{}</td>').format(c) for c in row[1:]))
        for row in footer)
    # The figure's caption shows the title; the table keeps it as its accessible name.
    return Markup('<div class="table-wrap"><table class="table chart-table"><caption class="visually-hidden">{c}'
                  '</caption><thead><tr>{h}</tr></thead><tbody>{b}</tbody>{f}</table></div>').format(
        c=caption, h=head, b=rows, f=Markup("<tfoot>{}</tfoot>").format(foot) if footer else "")


def _summary(rows: list[tuple[str, float | None]], unit: str, decimals: int) -> str:
    return "; ".join(f"{label}: {number(value, decimals)}{unit}" for label, value in rows) or "Tidak ada data."


def _unit_suffix(unit: str) -> str:
    return f" ({unit.strip()})" if unit.strip() else ""


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _axis(value: float, whole: bool = False) -> tuple[float, float]:
    """Return the axis end and tick step for a largest value: at most five round steps (1, 2 or 5 × 10ⁿ)."""
    if whole and value <= 5:
        return float(math.ceil(value)), 1.0  # counts: never a tick at half a complaint
    for exponent in range(math.floor(math.log10(value)) - 1, math.floor(math.log10(value)) + 2):
        for base in (1, 2, 5):
            step = base * 10.0 ** exponent
            if value / step <= 5:
                return math.ceil(value / step - 1e-9) * step, step
    return value, value


__all__ = ["Chart", "bar_chart", "line_chart", "number"]
