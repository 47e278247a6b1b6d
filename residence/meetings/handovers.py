"""Who is told when a meeting is scheduled, moved or cancelled, when a member announces an
absence, and when the cell reports a member who does not take part; and what they read.

Called by the meeting services inside their transactions. Invitees with a login get their
invitation with a calendar file (``calendar``) whose sequence follows the meeting's, so a
moved meeting notifies again and a calendar replaces the old invitation; the cell's
secretary hears of absences; the member's workplace committee of a non-participation report.
Never the user who took the step.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from members.recipients import ActingRoles
from partyreg.notifications.delivery import notify_many
from partyreg.notifications.handover import handover, handovers_to, in_site_language

from .calendar import calendar_attachment
from .models import Attendance, Meeting, NonParticipationReport

SCHEDULED = "meeting.scheduled"
MOVED = "meeting.moved"
CANCELLED = "meeting.cancelled"
ABSENCE = "meeting.absence"
NONPARTICIPATION = "nonparticipation.reported"


def _names(meeting: Meeting) -> dict:
    return {
        "cell": meeting.residence_cell,
        "kind": meeting.get_kind_display().lower(),
        "date": f"{meeting.held_on:%d/%m/%Y}",
        "time": f"{meeting.starts_at:%H:%M}",
        "place": meeting.place,
        "agenda": meeting.agenda,
        "reason": meeting.cancel_reason,
    }


def _invitation(meeting: Meeting) -> str:
    body = _("%(cell)s invites you: %(kind)s on %(date)s at %(time)s, at %(place)s.")
    body %= _names(meeting)
    body += "\n\n" + _("Agenda:") + "\n" + meeting.agenda + "\n\n"
    return body + _(
        "If you cannot come, say so on your meetings page. The calendar file attached, or "
        "“Add to calendar” on that page, adds the meeting to your calendar."
    )


def _tell_invitees(*, actor, meeting: Meeting, event: str, subject, body, member_ids=None):
    """Each invitee with a login (or those of ``member_ids``), with the calendar file."""
    invitees = Attendance.objects.filter(meeting=meeting, member__user__is_active=True)
    if member_ids is not None:
        invitees = invitees.filter(member_id__in=member_ids)
    rows = invitees.values_list("member__user_id", "member__full_name", "member__user__email")
    own = actor.pk if actor is not None and actor.is_authenticated else None
    url = reverse("residence:my_meetings")
    version = "" if event == CANCELLED else str(meeting.sequence)
    notify_many(
        handover(
            event=event,
            target=f"meeting:{meeting.pk}",
            version=version,
            recipient_id=user_id,
            subject=subject,
            body=body,
            url=url,
            attachment=calendar_attachment(
                meeting, attendee_name=name, attendee_email=(email or "").strip()
            ),
        )
        for user_id, name, email in rows.order_by("member__user_id")
        if user_id != own
    )


@in_site_language
def meeting_invited(*, actor, meeting: Meeting, member_ids=None) -> None:
    """The invitation: every invitee of a meeting just scheduled, or those invited since."""
    _tell_invitees(
        actor=actor,
        meeting=meeting,
        event=SCHEDULED,
        subject=_("Invitation: %(cell)s, %(date)s at %(time)s") % _names(meeting),
        body=_invitation(meeting),
        member_ids=member_ids,
    )


@in_site_language
def meeting_moved(*, actor, meeting: Meeting, before: Meeting) -> None:
    """Every invitee: the new date, time and place; ``before`` holds the old ones."""
    names = _names(meeting)
    old = _names(before)
    moved = _("The meeting was moved: it was on %(date)s at %(time)s, at %(place)s.") % old
    _tell_invitees(
        actor=actor,
        meeting=meeting,
        event=MOVED,
        subject=_("Meeting moved: %(cell)s, now on %(date)s at %(time)s") % names,
        body=moved + "\n\n" + _invitation(meeting),
    )


@in_site_language
def meeting_cancelled(*, actor, meeting: Meeting) -> None:
    """Every invitee: the meeting is off, and why; their calendar removes it."""
    names = _names(meeting)
    _tell_invitees(
        actor=actor,
        meeting=meeting,
        event=CANCELLED,
        subject=_("Meeting cancelled: %(cell)s, %(date)s") % names,
        body=_("The %(kind)s of %(cell)s on %(date)s at %(time)s is cancelled. Reason: %(reason)s")
        % names,
    )


@in_site_language
def absence_announced(*, actor, attendance: Attendance) -> None:
    """The cell's secretary: an invitee will not come, and why."""
    meeting = attendance.meeting
    roles = ActingRoles.around([meeting.residence_cell])
    names = {
        **_names(meeting),
        "member": attendance.member.full_name,
        "why": attendance.absence_notice,
    }
    notify_many(
        handovers_to(
            roles.secretaries(meeting.residence_cell_id),
            actor=actor,
            event=ABSENCE,
            target=f"attendance:{attendance.pk}",
            version=str(int(attendance.absence_notice_at.timestamp())),
            subject=_("%(member)s will be absent on %(date)s") % names,
            body=_(
                "%(member)s will not attend the %(kind)s of %(cell)s on %(date)s at %(time)s. "
                "Reason given: %(why)s"
            )
            % names,
            url=reverse("residence:meeting_detail", args=[meeting.pk]),
        )
    )


@in_site_language
def nonparticipation_reported(*, actor, report: NonParticipationReport) -> None:
    """The member's workplace committee: act on the report and say what was done."""
    roles = ActingRoles.around([report.workplace_org])
    names = {
        "member": report.member.full_name,
        "cell": report.residence_cell,
        "missed": report.meetings_missed,
        "year": report.year,
    }
    body = _(
        "%(cell)s reports that %(member)s does not take part in Party life where they live "
        "(%(missed)d meetings missed without reason in %(year)d):"
    )
    notify_many(
        handovers_to(
            roles.workplace_secretaries(report.workplace_org_id),
            actor=actor,
            event=NONPARTICIPATION,
            target=f"report:{report.pk}",
            subject=_("Non-participation report: %(member)s") % names,
            body=body % names
            + "\n"
            + report.text
            + "\n\n"
            + _("Act on it and record what the workplace committee did."),
            url=reverse("residence:report_acknowledge", args=[report.pk]),
        )
    )
