"""The residence side's printed documents in the Party layout: the attendance list of a
meeting, and the notice of non-participation sent to the member's workplace committee."""

from django.utils import timezone

from members.models import Organisation, Role
from partyreg.pdf import render_pdf

from ..letters import place_name
from .models import Attendance, Meeting, NonParticipationReport
from .selectors import attendance_facts, count_marks

LIST_TEMPLATE = "residence/meeting_attendance_pdf.html"
NOTICE_TEMPLATE = "residence/meeting_report_pdf.html"
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


def _ancestors(cell: Organisation) -> list[Organisation]:
    """The organisations above the cell, nearest first."""
    chain = {o.pk: o for o in Organisation.objects.filter(pk__in=cell.ancestor_ids()[:-1])}
    return [chain[pk] for pk in reversed(cell.ancestor_ids()[:-1]) if pk in chain]


def _commune_of(ancestors: list[Organisation]) -> Organisation | None:
    commune = next((o for o in ancestors if o.kind == Organisation.Kind.COMMUNE), None)
    return commune or (ancestors[0] if ancestors else None)


def header_for(cell: Organisation, ancestors: list[Organisation] | None = None) -> dict:
    """Superior (the commune committee), issuer (the cell) and the place for the date line."""
    ancestors = _ancestors(cell) if ancestors is None else ancestors
    commune = _commune_of(ancestors)
    # The cell itself left out: the date line names the commune's place.
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


# --- The notice of non-participation ------------------------------------------------------------


def _sent_by_commune(report: NonParticipationReport, roles: list[Role]) -> bool:
    """Whether the author wrote for the commune committee: an acting role above the cell and
    none in it. A notice written by the cell's own people, by the site administrator or by an
    author since gone is the cell's."""
    cell_path = report.residence_cell.path
    if any(r.organisation.path.startswith(cell_path) for r in roles):
        return False
    return any(cell_path.startswith(r.organisation.path) for r in roles)


def _secretary_name(issuer: Organisation, author) -> str:
    """The issuing committee's secretary, who signs: the author when they are one."""
    secretaries = [
        r.user
        for r in Role.objects.filter(organisation=issuer, kind=Role.Kind.SECRETARY)
        .select_related("user")
        .order_by("pk")
    ]
    signer = next((u for u in secretaries if author is not None and u.pk == author.pk), None)
    signer = signer or (secretaries[0] if secretaries else None)
    return (signer.get_full_name() or "").strip() if signer else ""


def _addressees(workplace: Organisation) -> list[str]:
    """The member's workplace committee: a cell with the organisation it belongs to."""
    if workplace.kind == Organisation.Kind.CELL and workplace.parent is not None:
        return [workplace.parent.name, workplace.name]
    return [workplace.name]


def notice_context(report: NonParticipationReport) -> dict:
    """``report`` comes from ``selectors.report_get`` (member, cell, workplace loaded)."""
    cell, member = report.residence_cell, report.member
    ancestors = _ancestors(cell)
    author = report.created_by
    roles = (
        list(
            Role.objects.filter(
                user=author, kind__in=Role.ACTING_KINDS, organisation__is_active=True
            ).select_related("organisation")
        )
        if author is not None
        else []
    )
    header = header_for(cell, ancestors)
    commune = _commune_of(ancestors)
    by_commune = commune is not None and _sent_by_commune(report, roles)
    if by_commune:
        above = ancestors[ancestors.index(commune) + 1 :]
        superior = commune.superior_name or (above[0].name if above else "")
        header.update(superior_name=superior.upper(), issuer_name=commune.name.upper())
    issuer = commune if by_commune else cell
    sent_on = timezone.localtime(report.created_at).date()
    facts = attendance_facts(member_ids=[member.pk], year=report.year, until=sent_on)[member.pk]
    residence = ", ".join(
        part
        for part in (
            member.residence_address,
            place_name(member.residence_commune.name) if member.residence_commune else "",
        )
        if part
    )
    return {
        **header,
        "number": "……-TB/ĐU" if by_commune else "……-TB/CB",
        "date": report.created_at,
        "sent_on": sent_on,
        "title": "THÔNG BÁO",
        "subtitle": "Về việc đảng viên đang công tác không tham gia sinh hoạt ở nơi cư trú",
        "report": report,
        "member": member,
        "issuer": issuer.name,
        "addressees": _addressees(report.workplace_org),
        "residence": residence,
        "facts": facts,
        "signature": {
            "on_behalf": "T/M ĐẢNG ỦY" if by_commune else "T/M CHI ỦY",
            "title": "BÍ THƯ",
            "name": _secretary_name(issuer, author),
        },
        "recipients": [
            "Như trên;",
            f"{cell.name} (để biết);" if by_commune else "Đảng ủy xã, phường (để báo cáo);",
            "Lưu.",
        ],
    }


def render_notice(report: NonParticipationReport) -> bytes:
    return render_pdf(NOTICE_TEMPLATE, notice_context(report))
