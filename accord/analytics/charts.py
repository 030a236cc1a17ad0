"""Server-side SVG charts (pygal) inlined into the page: no JavaScript, no CDN, scalable to
any width through the SVG viewBox, styled like the rest of Accord. Every chart is paired with
a table holding the same figures, so the chart is decoration for sighted readers only."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from accord.analytics.formatting import format_number, short_month
from accord.analytics.results import Chart, Kind

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif'
COLOURS = ("#1f5fbf", "#1e7a3c", "#c77700", "#7b3fb5", "#0f766e", "#b3261e", "#6b7280")

ACCORD_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d2430",
    foreground_strong="#1d2430",
    foreground_subtle="#5d6675",
    opacity=".9",
    opacity_hover="1",
    transition="none",
    colors=COLOURS,
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    legend_font_family=FONT,
    title_font_family=FONT,
    value_font_family=FONT,
    tooltip_font_family=FONT,
    no_data_font_family=FONT,
    label_font_size=16,
    major_label_font_size=16,
    legend_font_size=16,
    title_font_size=18,
    value_font_size=14,
    no_data_font_size=20,
    guide_stroke_color="#dde1e7",
    major_guide_stroke_color="#dde1e7",
)

# A report page carries two drawings of its chart and CSS shows one: "full" (800 units wide)
# on wider screens, "narrow" (400 units) on phones, where the 16-unit labels then read at
# about 14 px. Dashboard cards use "small".
SIZES = {"full": (800, 400), "narrow": (400, 340), "small": (400, 240)}
LABEL_LENGTH = {"full": 28, "narrow": 16, "small": 16}
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _label(value: Any, length: int) -> str:
    if isinstance(value, datetime.date):
        return short_month(value)
    text = str(value)
    # pygal does not shorten the labels of horizontal bars; long ones would squeeze the plot.
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _number(value: Any) -> float | None:
    # pygal draws with floats; the exact figures live in the table beside the chart.
    return None if value is None else float(value)


def render(chart: Chart, *, size: str = "full", title: str = "") -> SafeString:
    """The chart as an inline ``<svg>`` element (safe to insert into the page)."""
    width, height = SIZES[size]
    small = size != "full"
    kinds = {
        "bar": pygal.Bar,
        "stacked": pygal.StackedBar,
        "hbar": pygal.HorizontalBar,
        "line": pygal.Line,
    }
    value_kind = chart.value_kind
    config: dict[str, Any] = {
        "style": ACCORD_STYLE,
        "width": width,
        "height": height,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "show_legend": len(chart.series) > 1,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1 if small else 2,
        "truncate_legend": 30,
        "truncate_label": 10 if small else 22,
        "x_label_rotation": 0,
        "value_formatter": lambda v: format_number(v, value_kind),
        "title": title or None,
        "x_title": None if small else (str(chart.x_title) or None),
        "y_title": None if small else (str(chart.y_title) or None),
        "no_data_text": "—",
        "margin": 8,
        "margin_right": 24,
        "max_scale": 4 if small else 8,
        "spacing": 8,
        "print_values": False,
        "tooltip_border_radius": 0,
    }
    if chart.kind != "hbar":
        config["x_labels_major_every"] = max(1, len(chart.labels) // (4 if small else 8))
        config["show_minor_x_labels"] = len(chart.labels) <= (4 if small else 8)
    if value_kind == Kind.PERCENT:
        config["range"] = (0, 100)
    graph = kinds.get(chart.kind, pygal.Bar)(**config)
    graph.x_labels = [_label(label, LABEL_LENGTH[size]) for label in chart.labels]
    for series in chart.series:
        graph.add(str(series.name), [_number(v) for v in series.values])
    svg = graph.render(is_unicode=True)
    # pygal always embeds a small configuration script for its (disabled) tooltips.
    svg = SCRIPT.sub("", svg)
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    # pygal builds the SVG with an XML serialiser, which escapes every label.
    return mark_safe(svg)
