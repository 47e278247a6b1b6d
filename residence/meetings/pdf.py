"""The attendance list of a residence meeting, printed in the Party layout."""

from members.models import Organisation
from partyreg.pdf import render_pdf

from .models import Attendance, Meeting
from .selectors import count_marks

LIST_TEMPLATE = "residence/meeting_attendance_pdf.html"
CELL_PREFIX = "CHI BỘ"

# The printed words for each mark (official wording, not translated).
MARK_WORDS = {
    Attendance.Status.INVITED: "Chưa ghi nhận",
    Attendance.Status.WILL_BE_ABSENT: "Báo vắng",
    Attendance.Status.PRESENT: "Có mặt",
    Attendance.Status.EXCUSED: "Vắng có lý do",
    Attendance.Status.UNEXCUSED: "Vắng không lý do",
}
KIND_WORDS = {
    Meeting.Kind.REGULAR: "sinh hoạt với đảng viên đang công tác",
    Meeting.Kind.RESIDENTS: "sinh hoạt, hoạt động tại khu dân cư",
}


def issuer_name(cell: Organisation) -> str:
    """ "Chi bộ Tổ dân phố 5" → "CHI BỘ TỔ DÂN PHỐ 5"; a bare "Tổ dân phố 5" gets the prefix."""
    name = cell.name.strip().upper()
    return name if name.startswith(CELL_PREFIX) else f"{CELL_PREFIX} {name}"


def header_for(cell: Organisation) -> dict:
    """Superior (the commune committee), issuer (the cell) and the place for the date line."""
    chain = {o.pk: o for o in Organisation.objects.filter(pk__in=cell.ancestor_ids()[:-1])}
    # Nearest first, the cell itself left out: the date line names the commune's place.
    ancestors = [chain[pk] for pk in reversed(cell.ancestor_ids()[:-1]) if pk in chain]
    commune = next((o for o in ancestors if o.kind == Organisation.Kind.COMMUNE), None)
    commune = commune or (ancestors[0] if ancestors else None)
    place = next((o.place_name for o in ancestors if o.place_name), "")
    return {
        "superior_name": commune.name.upper() if commune else "",
        "issuer_name": issuer_name(cell),
        "place": place,
    }


def attendance_list_context(meeting: Meeting, rows: list[Attendance]) -> dict:
    counts = count_marks(rows)
    return {
        **header_for(meeting.residence_cell),
        "meeting": meeting,
        "rows": [(row, MARK_WORDS[row.status]) for row in rows],
        "counts": counts,
        "kind_words": KIND_WORDS[meeting.kind],
        "date": meeting.confirmed_at or meeting.held_on,
        "title": "DANH SÁCH ĐẢNG VIÊN ĐANG CÔNG TÁC DỰ SINH HOẠT",
        "draft": meeting.state != Meeting.State.CONFIRMED,
        "signature": {"on_behalf": "T/M CHI ỦY", "title": "BÍ THƯ", "name": ""},
        "recipients": ["Đảng ủy xã, phường (b/c);", "Lưu chi bộ."],
    }


def render_attendance_list(meeting: Meeting, rows: list[Attendance]) -> bytes:
    return render_pdf(LIST_TEMPLATE, attendance_list_context(meeting, rows))
