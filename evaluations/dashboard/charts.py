"""Small SVG charts drawn on the server: no script, readable on a phone and in print.

Each builder returns SVG markup sized by its viewBox with ``width="100%"``, so it scales to
the column it sits in; colours are presentation attributes, never inline style, which the
Content-Security-Policy forbids. Labels are escaped here.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from partyreg.text import vn_number

from . import band

WIDTH = 360
COLOURS = {"bad": "#c62828", "warn": "#b26a00", "ok": "#2e7d32", "": "#6c757d"}
TRACK = "#e9ecef"
INK = "#212529"


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    # 8 of 2.657 is not nothing: "<1%" rather than a rounded "0%".
    return "<1%" if 0 < value < 0.005 else f"{round(100 * value)}%"


def _svg(height: int, label: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" '
        f'font-family="system-ui, sans-serif" font-size="13">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def progress_bars(title: str, stages: list[tuple[str, int, int]]) -> SafeString:
    """One horizontal bar per step: the label and "count (share of base)" above its bar.

    ``stages`` holds (label, count, base); the bar's length is count / base and its colour
    the band of that share.
    """
    row, bar = 36, 12
    body = []
    for i, (label, count, base) in enumerate(stages):
        share = count / base if base else None
        y = i * row
        length = 0 if share is None else round(WIDTH * min(share, 1.0), 1)
        body.append(
            f'<text x="0" y="{y + 14}" fill="{INK}">{escape(label)}</text>'
            f'<text x="{WIDTH}" y="{y + 14}" fill="{INK}" text-anchor="end" '
            f'font-weight="bold">{vn_number(count)} ({escape(_percent(share))})</text>'
            f'<rect x="0" y="{y + 19}" width="{WIDTH}" height="{bar}" rx="3" fill="{TRACK}"/>'
            f'<rect class="bar" x="0" y="{y + 19}" width="{length}" height="{bar}" rx="3" '
            f'fill="{COLOURS[band(share)]}"/>'
        )
    return _svg(max(len(stages), 1) * row, title, body)


def month_bars(title: str, months: list[tuple[int, int, int]]) -> SafeString:
    """The attendance rate of each month as a bar, with the 50% and 80% lines.

    ``months`` holds (month, invited, present) for months 1 to 12; a month without a
    confirmed meeting shows no bar and a dash.
    """
    top, plot, axis = 18, 140, 18
    left = 36
    slot = (WIDTH - left) / 12
    body = []
    for level in (0.5, 0.8, 1.0):
        y = round(top + plot * (1 - level), 1)
        body.append(
            f'<line x1="{left}" y1="{y}" x2="{WIDTH}" y2="{y}" stroke="#adb5bd" '
            f'stroke-width="0.6" stroke-dasharray="3 3"/>'
            f'<text x="{left - 4}" y="{y + 4}" fill="{INK}" font-size="10" '
            f'text-anchor="end">{round(level * 100)}%</text>'
        )
    baseline = top + plot
    body.append(
        f'<line x1="{left}" y1="{baseline}" x2="{WIDTH}" y2="{baseline}" stroke="{INK}" '
        f'stroke-width="0.8"/>'
    )
    for month, invited, present in months:
        x = round(left + (month - 1) * slot, 1)
        centre = round(x + slot / 2, 1)
        share = present / invited if invited else None
        if share is not None:
            height = round(plot * share, 1)
            body.append(
                f'<rect class="bar" x="{round(x + 3, 1)}" y="{round(baseline - height, 1)}" '
                f'width="{round(slot - 6, 1)}" height="{height}" '
                f'fill="{COLOURS[band(share)]}"><title>{month}: {present}/{invited}</title></rect>'
            )
            label_y = round(max(baseline - height - 3, top - 4), 1)
            body.append(
                f'<text x="{centre}" y="{label_y}" fill="{INK}" font-size="9" '
                f'text-anchor="middle">{round(100 * share)}</text>'
            )
        else:
            body.append(
                f'<text x="{centre}" y="{baseline - 3}" fill="#6c757d" font-size="10" '
                f'text-anchor="middle">–</text>'
            )
        body.append(
            f'<text x="{centre}" y="{baseline + axis - 4}" fill="{INK}" font-size="11" '
            f'text-anchor="middle">{month}</text>'
        )
    return _svg(top + plot + axis, title, body)
