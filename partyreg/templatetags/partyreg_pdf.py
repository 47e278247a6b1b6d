"""Filters for printed documents (templates/pdf/)."""

from django import template

from partyreg.pdf import vn_date, vn_place_date

register = template.Library()


@register.filter
def vn_date_line(value) -> str:
    """{{ issued_on|vn_date_line }} → "ngày 05 tháng 01 năm 2026"."""
    return vn_date(value) if value else ""


@register.filter(name="vn_place_date")
def vn_place_date_filter(place, value) -> str:
    """{{ place|vn_place_date:issued_on }} → "Đà Lạt, ngày 20 tháng 11 năm 2026"."""
    return vn_place_date(place or "", value) if value else ""
