"""The dashboard as a spreadsheet (.xlsx) and as the yearly report a committee signs and files.

The spreadsheet holds the page's table: every row, every figure, the rates as numbers
formatted in per cent. The report is an official document in the Party layout (Guidance
36-HD/VPTW): its wording is fixed Vietnamese text, like every printed form of the site.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation
from partyreg import xlsx
from partyreg.pdf import render_pdf
from partyreg.text import vn_number
from residence.meetings.selectors import meetings_required

from . import (
    MEMBER_COLUMNS,
    Dashboard,
    Figures,
    MemberRow,
    band,
    ratio,
)

Side = Organisation.Side

REPORT_TEMPLATE = "evaluations/report_pdf.html"
PERCENT = "0%"
DATE = "DD/MM/YYYY"
FILLS = {
    "bad": xlsx.fill("F8D7DA"),
    "warn": xlsx.fill("FFF3CD"),
}
SHEET_TITLES = {
    Side.WORKPLACE: "Noi cong tac",
    Side.RESIDENCE: "Noi cu tru",
}


def dashboard_xlsx(board: Dashboard) -> bytes:
    """One sheet per table of the page: the organisation column, then the page's columns."""
    book = xlsx.workbook()
    for table in board.tables:
        sheet = xlsx.add_sheet(
            book,
            SHEET_TITLES[table.side],
            widths=[44] + [12] * len(table.columns),
            freeze="B3",
        )
        xlsx.append(sheet, [f"{board.organisation.name} — {board.year}"], bold=True)
        xlsx.append(sheet, [_("Organisation"), *(str(c.label) for c in table.columns)], bold=True)
        for row in [*table.rows, table.total]:
            total = row is table.total
            cells = [xlsx.cell(sheet, row.label, bold=total)]
            for column in table.columns:
                value = row.values[column.key]
                cells.append(
                    xlsx.cell(
                        sheet,
                        value,
                        bold=total,
                        number_format=PERCENT if column.rate else None,
                        fill=FILLS.get(band(value)) if column.rate else None,
                    )
                )
            xlsx.append(sheet, cells)
    return xlsx.save(book)


def members_xlsx(organisation: Organisation, year: int, rows: list[MemberRow]) -> bytes:
    book = xlsx.workbook()
    sheet = xlsx.add_sheet(
        book, "Dang vien", widths=[28, 28, 24, 18, 28, 12, 12, 9, 9, 20, 12, 12], freeze="B3"
    )
    xlsx.append(sheet, [f"{organisation.name} — {year}"], bold=True)
    xlsx.append(
        sheet,
        [
            str(MEMBER_COLUMNS[0][1]),
            _("Workplace"),
            _("Category"),
            str(MEMBER_COLUMNS[1][1]),
            _("Residence"),
            _("Due on"),
            str(MEMBER_COLUMNS[2][1]),
            _("Invited"),
            _("Present"),
            str(MEMBER_COLUMNS[4][1]),
            _("Near-identical"),
            str(MEMBER_COLUMNS[5][1]),
        ],
        bold=True,
    )
    for r in rows:
        xlsx.append(
            sheet,
            [
                r.name,
                r.workplace,
                r.category,
                r.referral_state_label,
                r.residence,
                xlsx.cell(sheet, r.due_on, number_format=DATE),
                xlsx.cell(sheet, r.presented_on, number_format=DATE),
                r.invited,
                r.present,
                r.comment_state_label,
                _("yes") if r.near_identical else "",
                r.notices_open,
            ],
        )
    return xlsx.save(book)


# --- The yearly report ------------------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    value = ratio(part, whole)
    if value is None:
        return "–"
    # A few out of thousands is not nothing: "dưới 1%" rather than a rounded "0%".
    return "dưới 1%" if 0 < value < 0.005 else f"{round(100 * value)}%"


class _Numbers:
    """The counts of a Figures, each written as Vietnamese writes numbers."""

    def __init__(self, figures: Figures | None):
        self._figures = figures

    def __getattr__(self, name: str) -> str:
        return vn_number(getattr(self._figures, name))


def _committee(organisation: Organisation) -> str:
    cell = organisation.kind in (Organisation.Kind.CELL, Organisation.Kind.RESIDENCE_CELL)
    return "CHI ỦY" if cell else "ĐẢNG ỦY"


def narrative(board: Dashboard) -> list[str]:
    """The report's paragraphs, each with the key figures of the year."""
    org, year = board.organisation.name, board.year
    paragraphs = [
        "Thực hiện Quy định số 213-QĐ/TW ngày 02/01/2020 của Bộ Chính trị về trách nhiệm của "
        "đảng viên đang công tác thường xuyên giữ mối liên hệ với tổ chức đảng và nhân dân nơi "
        f"cư trú, {org} báo cáo kết quả thực hiện năm {year} như sau:"
    ]
    # A side without a table on the page (a bloc has no commune under it) has no paragraph.
    shown = {table.side for table in board.tables}
    w: Figures | None = board.totals.get(Side.WORKPLACE) if Side.WORKPLACE in shown else None
    r: Figures | None = board.totals.get(Side.RESIDENCE) if Side.RESIDENCE in shown else None
    wn, rn = _Numbers(w), _Numbers(r)
    if w is not None:
        paragraphs += [
            f"1. Giới thiệu đảng viên về nơi cư trú: có {wn.working} đảng viên đang công tác; đã "
            f"giới thiệu {wn.referred} đồng chí; nơi cư trú đã tiếp nhận {wn.received}, phân công "
            f"về chi bộ {wn.assigned}; {wn.presented} đồng chí đã báo cáo với chi bộ nơi cư trú "
            f"({_pct(w.presented, w.working)}), trong đó {wn.on_time} đồng chí đúng hạn; "
            f"{wn.overdue} đồng chí quá hạn chưa báo cáo.",
            f"2. Tham gia sinh hoạt với chi bộ nơi cư trú: đảng viên dự {wn.present}/"
            f"{wn.invited} lượt được mời ({_pct(w.present, w.invited)}) trong các buổi sinh "
            "hoạt định kỳ đã được xác nhận.",
            f"3. Lấy ý kiến nhận xét: đã đề nghị nhận xét {wn.requested} đồng chí; nhận lại "
            f"{wn.returned} phiếu ({_pct(w.returned, w.requested)}), {wn.returned_on_time} phiếu "
            f"đúng hạn, {wn.certified} phiếu đã được đảng ủy xã, phường xác nhận; "
            f"{wn.with_sitting} phiếu có biên bản họp chi ủy với ban công tác Mặt trận; "
            f"{wn.near_identical} phiếu có nội dung gần trùng lặp.",
            f"4. Thông báo thay đổi: đã gửi {wn.notices} thông báo, nơi cư trú đã xác nhận "
            f"{wn.acknowledged} ({_pct(w.acknowledged, w.notices)}).",
        ]
    if r is not None:
        first = 5 if w is not None else 1
        paragraphs += [
            f"{first}. Nơi cư trú tiếp nhận đảng viên: có {rn.referred} đảng viên được giới "
            f"thiệu về; đã tiếp nhận {rn.received}, phân công về chi bộ {rn.assigned}; "
            f"{rn.presented} đồng chí đã báo cáo với chi bộ ({_pct(r.presented, r.referred)}); "
            f"{rn.overdue} đồng chí quá hạn.",
            f"{first + 1}. Sinh hoạt với đảng viên đang công tác: {rn.cells_ok}/{rn.cells} chi bộ "
            f"tổ chức đủ {meetings_required()} buổi trong năm ({_pct(r.cells_ok, r.cells)}); "
            f"tỷ lệ đảng viên dự sinh hoạt {_pct(r.present, r.invited)}.",
            f"{first + 2}. Nhận xét đảng viên: nhận {rn.requested} đề nghị; đã trả lời "
            f"{rn.returned} ({rn.returned_on_time} đúng hạn), đã xác nhận {rn.certified}; "
            f"{rn.with_sitting} phiếu có biên bản họp; {rn.near_identical} phiếu gần trùng lặp. "
            f"Thông báo thay đổi nhận được: {rn.notices}, đã xác nhận {rn.acknowledged}.",
        ]
    return paragraphs


# Columns of the printed tables: (Vietnamese heading, figure or rate key).
REPORT_COLUMNS = {
    Side.WORKPLACE: [
        ("Đảng viên đang công tác", "working"),
        ("Đã giới thiệu", "referred"),
        ("Đã báo cáo với nơi cư trú", "presented"),
        ("Tỷ lệ đã báo cáo", "presented_rate"),
        ("Đúng hạn", "on_time"),
        ("Quá hạn", "overdue"),
        ("Tỷ lệ dự sinh hoạt", "attendance_rate"),
        ("Đề nghị nhận xét", "requested"),
        ("Đã trả phiếu", "returned"),
        ("Đã xác nhận", "certified"),
        ("Gần trùng lặp", "near_identical"),
        ("Thông báo đã xác nhận", "acknowledged"),
    ],
    Side.RESIDENCE: [
        ("Được giới thiệu về", "referred"),
        ("Đã phân công", "assigned"),
        ("Đã báo cáo", "presented"),
        ("Tỷ lệ đã báo cáo", "presented_rate"),
        ("Quá hạn", "overdue"),
        ("Chi bộ", "cells"),
        ("Chi bộ đủ số buổi", "cells_ok"),
        ("Tỷ lệ dự sinh hoạt", "attendance_rate"),
        ("Phiếu nhận xét đã trả", "returned"),
        ("Gần trùng lặp", "near_identical"),
        ("Thông báo đã xác nhận", "acknowledged"),
    ],
}
TABLE_TITLES = {
    Side.WORKPLACE: "Các tổ chức đảng nơi công tác",
    Side.RESIDENCE: "Các đảng ủy, chi bộ nơi cư trú",
}


def _printed(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{round(100 * value)}%"
    return vn_number(value)


def report_context(board: Dashboard) -> dict:
    organisation = board.organisation
    tables = []
    for table in board.tables:
        columns = REPORT_COLUMNS[table.side]
        tables.append(
            {
                "title": TABLE_TITLES[table.side],
                "headings": [heading for heading, _k in columns],
                "rows": [
                    [row.label, *(_printed(row.values[key]) for _h, key in columns)]
                    for row in table.rows
                ],
                "total": ["Tổng cộng", *(_printed(table.total.values[k]) for _h, k in columns)],
            }
        )
    committee = _committee(organisation)
    return {
        "superior_name": organisation.superior_name
        or (organisation.parent.name if organisation.parent_id else ""),
        "issuer_name": organisation.name,
        "number": "\u00a0" * 8 + ("-BC/CB" if committee == "CHI ỦY" else "-BC/ĐU"),
        "place": organisation.place_name,
        "date": timezone.localdate(),
        "title": "BÁO CÁO",
        "subtitle": f"Kết quả thực hiện Quy định số 213-QĐ/TW năm {board.year}",
        "paragraphs": narrative(board),
        "tables": tables,
        "signature": {"on_behalf": f"T/M {committee}", "title": "BÍ THƯ", "name": ""},
        "recipients": ["Cấp ủy cấp trên (để báo cáo);", "Lưu."],
    }


def report_pdf(board: Dashboard) -> bytes:
    return render_pdf(REPORT_TEMPLATE, report_context(board), stylesheets=["pdf/report.css"])
