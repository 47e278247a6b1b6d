"""A meeting as a calendar invitation (RFC 5545, sent as RFC 5546 REQUEST or CANCEL).

The same file is attached to the invitee's email and served by the "add to calendar" link of
their meetings page. Its UID is the meeting's, so a calendar that holds the invitation
replaces it when the meeting moves (a higher SEQUENCE) and removes it when it is cancelled.
Times are written in UTC, which every calendar reads without a time zone definition.
"""

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from partyreg.notifications.delivery import Attachment
from partyreg.web import site_url

from .models import Meeting

# A meeting is registered with its start only; calendars show it this long.
SHOWN_HOURS = 2


def meeting_uid(meeting: Meeting) -> str:
    host = urlsplit(settings.PARTYREG["SITE_URL"]).hostname or "partyreg"
    return f"meeting-{meeting.pk}@{host}"


def meeting_start(meeting: Meeting) -> datetime:
    """The meeting's start as an aware time (the register keeps the local date and time)."""
    return timezone.make_aware(datetime.combine(meeting.held_on, meeting.starts_at))


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    return address


def meeting_calendar(meeting: Meeting, *, attendee_name: str = "", attendee_email: str = "") -> str:
    """The invitation in the site's language; a cancelled meeting gives its cancellation."""
    cancelled = meeting.state == Meeting.State.CANCELLED
    link = site_url(reverse("residence:my_meetings"))
    start = meeting_start(meeting).astimezone(UTC)
    with translation.override(settings.LANGUAGE_CODE):
        summary = f"{meeting.get_kind_display()} — {meeting.residence_cell.name}"
        description = f"{_('Agenda')}:\n{meeting.agenda}\n\n{link}"
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(hours=SHOWN_HOURS))
    event.add("summary", summary)
    event.add("location", meeting.place)
    event.add("description", description)
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], summary))
    if attendee_email:
        attendee = _address(attendee_email, attendee_name)
        attendee.params.update({"role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION"})
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)
    calendar = Calendar()
    calendar.add("prodid", "-//partyreg//residence meetings//VI")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def calendar_filename(meeting: Meeting) -> str:
    return f"sinh-hoat-{meeting.held_on:%Y-%m-%d}.ics"


def calendar_attachment(meeting: Meeting, *, attendee_name: str, attendee_email: str):
    """The invitation as an email attachment, with the method its MIME part must name."""
    method = "CANCEL" if meeting.state == Meeting.State.CANCELLED else "REQUEST"
    return Attachment(
        name=calendar_filename(meeting),
        mimetype=f"text/calendar; method={method}",
        content=meeting_calendar(
            meeting, attendee_name=attendee_name, attendee_email=attendee_email
        ),
    )


def calendar_response(meeting: Meeting, *, attendee_name: str, user) -> HttpResponse:
    """The invitation as a download, for the "add to calendar" link of the member's page."""
    response = HttpResponse(
        meeting_calendar(meeting, attendee_name=attendee_name, attendee_email=user.email),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{calendar_filename(meeting)}"'
    return response
