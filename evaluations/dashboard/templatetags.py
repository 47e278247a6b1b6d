from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from partyreg.text import vn_number

register = template.Library()


@register.filter
def pct(value) -> str:
    """A fraction as a whole per cent ("45%"), a dash when there is nothing to rate."""
    if value is None or value == "":
        return "–"
    return f"{round(100 * value)}%"


@register.filter
def number(value) -> str:
    """A count with Vietnamese thousands separators (2.657)."""
    return vn_number(value)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def figure_cells(row) -> SafeString:
    """The ``<td>`` of every figure of a dashboard row, banded rates and alarms marked.

    Written here rather than in the template: a province's page holds thousands of cells, and
    the template language would spend most of the page's time on them.
    """
    out = []
    for cell in row.cells():
        column, value = cell["column"], cell["value"]
        if column.rate:
            css = f"rate-{cell['band'] or 'none'}"
            text = pct(value)
        else:
            css = "alarm" if cell["alarm"] else ""
            text = vn_number(value)
        attr = f' class="{css}"' if css else ""
        out.append(f'<td{attr} data-key="{column.key}">{escape(text)}</td>')
    return mark_safe("".join(out))
