"""The sales panel's charts as inline SVG drawn here: no script, no chart library, nothing
fetched (the page's Content-Security-Policy allows neither, and the back office works
offline). Colours come from the admin's CSS variables (common/static/common/panel.css),
so the charts follow its light and dark themes. Each bar has a ``<title>`` (its tooltip)
with its exact value; the axes are rounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 880  # the viewBox's width; the SVG scales to its box (width 100%)


@dataclass(frozen=True)
class Column:
    """A vertical bar: ``axis_label`` under it (may be empty), ``title`` its tooltip."""

    value: Decimal
    axis_label: str
    title: str


@dataclass(frozen=True)
class Bar:
    """A horizontal bar: ``label`` on its left, ``value_text`` on its right."""

    value: Decimal | int
    label: str
    value_text: str
    css_class: str = ""


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 times a power of 10 at or above ``value`` (an axis's top); 1 for 0."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _axis_text(prefix: str, value: Decimal) -> str:
    number = number_format(value, 0, use_l10n=True, force_grouping=True)
    return f"{prefix}\u00a0{number}" if prefix else number


def columns(points: Sequence[Column], *, label: str, axis_prefix: str = "") -> SafeString:
    """A column chart: one bar per point, the y axis at 0, half and top (``axis_prefix``
    before their numbers, e.g. "R$"). ``label`` names the chart for screen readers."""
    height, left, bottom, top = 220, 72, 24, 10
    plot_width, plot_height = WIDTH - left - 8, height - bottom - top
    ceiling = _nice_ceiling(max((point.value for point in points), default=Decimal(0)))
    slot = plot_width / max(len(points), 1)
    grid = format_html_join(
        "",
        '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (
                left,
                WIDTH - 8,
                y,
                y,
                left - 6,
                y + 4,
                _axis_text(axis_prefix, ceiling * share),
            )
            for share in (Decimal(0), Decimal("0.5"), Decimal(1))
            for y in [round(top + plot_height * (1 - float(share)), 1)]
        ),
    )
    bars = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
        '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (
                round(left + index * slot + slot * 0.15, 1),
                round(top + plot_height - bar_height, 1),
                round(slot * 0.7, 1),
                bar_height,
                point.title,
                round(left + index * slot + slot / 2, 1),
                height - 6,
                point.axis_label,
            )
            for index, point in enumerate(points)
            for bar_height in [round(plot_height * float(point.value / ceiling), 1)]
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg>',
        WIDTH,
        height,
        label,
        grid,
        bars,
    )


def bars(rows: Sequence[Bar], *, label: str) -> SafeString:
    """A horizontal bar chart, the longest bar the largest value; ``label`` names it for
    screen readers. Labels longer than fit are cut with "…" (the tooltip has them whole)."""
    row_height, label_width, value_width = 26, 330, 200
    plot_width = WIDTH - label_width - value_width
    largest = max((row.value for row in rows), default=Decimal(0)) or Decimal(1)
    drawn = format_html_join(
        "",
        '<g class="{}"><title>{} — {}</title>'
        '<text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"/>'
        '<text class="value" x="{}" y="{}">{}</text></g>',
        (
            (
                row.css_class,
                row.label,
                row.value_text,
                label_width - 8,
                y + 17,
                row.label if len(row.label) <= 44 else f"{row.label[:43]}…",
                label_width,
                y + 4,
                width,
                row_height - 8,
                label_width + width + 6,
                y + 17,
                row.value_text,
            )
            for index, row in enumerate(rows)
            for y in [index * row_height]
            for width in [round(plot_width * float(row.value / largest), 1)]
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        WIDTH,
        max(len(rows), 1) * row_height,
        label,
        drawn,
    )
