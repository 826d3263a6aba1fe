"""Charts drawn on the server as SVG (no JavaScript, no external library); every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f6f8b", "#99c24d", "#f18f01", "#c73e1d", "#6a4c93", "#2e933c", "#5f0f40")


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bar_chart(rows: Sequence[tuple[str, int]], *, title: str, show_share: bool = True, width: int = 640) -> Markup:
    """Horizontal bars, one per row, with the value and (optionally) its share of the first row."""
    label_width, bar_left, row_height = 200, 210, 28
    bar_space = width - bar_left - 90
    top = max((value for _, value in rows), default=0) or 1
    first = rows[0][1] if rows else 0
    body = []
    for index, (label, value) in enumerate(rows):
        y = 8 + index * row_height
        length = round(bar_space * value / top)
        share = f" ({round(100 * value / first)} %)" if show_share and first and index else ""
        body.append(
            f'<text x="{label_width}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{bar_left}" y="{y}" width="{max(length, 1)}" height="20" fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{bar_left + length + 6}" y="{y + 15}">{value}{share}</text>'
        )
    return _svg(width, 16 + row_height * len(rows), body, title)


def grouped_columns(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str, width: int = 720
) -> Markup:
    """Vertical columns grouped by category (weeks), one colour per series, with a legend."""
    height, left, bottom, top_margin = 260, 40, 40, 30
    plot_height = height - bottom - top_margin
    peak = max((v for _, values in series for v in values), default=0) or 1
    group_width = (width - left - 10) / max(len(categories), 1)
    column = max(min(group_width / (len(series) + 1), 24), 2)
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#9aa5b1"/>']
    body.append(f'<text x="{left - 6}" y="{top_margin + 4}" text-anchor="end">{peak}</text>')
    body.append(f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>')
    for c, category in enumerate(categories):
        x0 = left + c * group_width + (group_width - column * len(series)) / 2
        for s, (_, values) in enumerate(series):
            value = values[c] if c < len(values) else 0
            bar = plot_height * value / peak
            x = x0 + s * column
            body.append(
                f'<rect x="{x:.1f}" y="{height - bottom - bar:.1f}" width="{column - 1:.1f}" height="{bar:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(series[s][0])} : {value}</title></rect>'
            )
        body.append(
            f'<text x="{left + c * group_width + group_width / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    x = left
    for s, (name, _) in enumerate(series):
        body.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>')
        body.append(f'<text x="{x + 14}" y="15">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return _svg(width, height, body, title)
