"""Who is told when a referral or a change notice changes hands, and what they read.

Each function is called by the service that takes the step, inside its transaction, and
notifies only the users who can act on the step (``members.recipients``: acting roles of the
receiving organisation, nearest first) or the member it concerns; never the user who took it.
A step on many referrals at once (a whole cell issued, assigned) tells each receiving
organisation once, listing the members, instead of once per member.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Member
from members.recipients import ActingRoles
from partyreg.notifications.delivery import Message, notify_many
from partyreg.notifications.handover import handovers_to, in_site_language

from .models import ChangeNotice, Referral

ISSUED = "referral.issued"
ASSIGNED = "referral.assigned"
PRESENTED = "referral.presented"
CHANGE = "change.recorded"


def _detail(referral: Referral) -> str:
    return reverse("residence:referral_detail", args=[referral.pk])


def _listing(referrals: Sequence[Referral]) -> str:
    return "\n".join(f"- {r.member.full_name} ({r.number_display})" for r in referrals)


def _grouped(referrals, key) -> dict[int, list[Referral]]:
    groups = defaultdict(list)
    for referral in referrals:
        groups[key(referral)].append(referral)
    return groups


@in_site_language
def referrals_issued(*, actor, referrals: Sequence[Referral]) -> None:
    """The commune committee each referral is addressed to: receive it, assign the member."""
    if not referrals:
        return
    roles = ActingRoles.around({r.commune_id: r.commune for r in referrals}.values())
    messages: list[Message] = []
    for commune_id, group in _grouped(referrals, lambda r: r.commune_id).items():
        first = group[0]
        names = {"org": first.signing_org, "commune": first.commune, "count": len(group)}
        if len(group) == 1:
            names.update(member=first.member.full_name, number=first.number_display)
            names["address"] = first.member.residence_address or _("no address on record")
            fields = {
                "target": f"referral:{first.pk}",
                "subject": _("Referral %(number)s: %(member)s, introduced by %(org)s") % names,
                "body": _(
                    "%(org)s introduced %(member)s (residence address: %(address)s) to "
                    "%(commune)s. Record the receipt of the referral and assign the member "
                    "to a residence cell."
                )
                % names,
                "url": _detail(first),
            }
        else:
            fields = {
                "target": f"batch:{first.batch}:{commune_id}",
                "subject": ngettext(
                    "%(count)d referral from %(org)s",
                    "%(count)d referrals from %(org)s",
                    len(group),
                )
                % names,
                "body": _(
                    "%(org)s introduced these members to %(commune)s. Record the receipt of "
                    "each referral and assign the members to residence cells."
                )
                % names
                + "\n\n"
                + _listing(group),
                "url": reverse("residence:referral_list", args=["residence"]),
            }
        messages += handovers_to(roles.committee(commune_id), actor=actor, event=ISSUED, **fields)
    notify_many(messages)


@in_site_language
def referrals_assigned(*, actor, referrals: Sequence[Referral]) -> None:
    """The residence cell (record the member's presentation) and each member (present
    yourself to the cell's secretary)."""
    if not referrals:
        return
    roles = ActingRoles.around({r.residence_cell_id: r.residence_cell for r in referrals}.values())
    messages: list[Message] = []
    for cell_id, group in _grouped(referrals, lambda r: r.residence_cell_id).items():
        first = group[0]
        names = {"cell": first.residence_cell, "commune": first.commune, "count": len(group)}
        if len(group) == 1:
            names.update(member=first.member.full_name, number=first.number_display)
            fields = {
                "target": f"referral:{first.pk}",
                "subject": _("%(member)s assigned to %(cell)s") % names,
                "body": _(
                    "%(commune)s assigned %(member)s (referral %(number)s) to %(cell)s. Record "
                    "the day the member presents themselves to the cell."
                )
                % names,
                "url": _detail(first),
            }
        else:
            fields = {
                "target": f"cell:{cell_id}:{first.pk}",
                "subject": ngettext(
                    "%(count)d member assigned to %(cell)s",
                    "%(count)d members assigned to %(cell)s",
                    len(group),
                )
                % names,
                "body": _(
                    "%(commune)s assigned these members to %(cell)s. Record the day each of "
                    "them presents themselves to the cell."
                )
                % names
                + "\n\n"
                + _listing(group),
                "url": reverse("residence:referral_list", args=["residence"]),
            }
        messages += handovers_to(roles.secretaries(cell_id), actor=actor, event=ASSIGNED, **fields)
    logins = dict(
        Member.objects.filter(
            pk__in=[r.member_id for r in referrals], user__is_active=True
        ).values_list("pk", "user_id")
    )
    for referral in referrals:
        if referral.member_id not in logins:
            continue
        names = {"cell": referral.residence_cell, "due": f"{referral.due_on:%d/%m/%Y}"}
        messages += handovers_to(
            [logins[referral.member_id]],
            actor=actor,
            event=ASSIGNED,
            target=f"referral:{referral.pk}",
            subject=_("You are assigned to %(cell)s") % names,
            body=_(
                "The commune committee assigned you to %(cell)s for your Party life where you "
                "live. Present yourself to the secretary of the cell by %(due)s."
            )
            % names,
            url=_detail(referral),
        )
    notify_many(messages)


@in_site_language
def referral_presented(*, actor, referral: Referral) -> None:
    """The member's workplace committee: the member presented themselves to the cell."""
    roles = ActingRoles.around([referral.issuing_org])
    names = {
        "member": referral.member.full_name,
        "cell": referral.residence_cell,
        "date": f"{referral.presented_on:%d/%m/%Y}",
        "number": referral.number_display,
    }
    notify_many(
        handovers_to(
            roles.workplace_secretaries(referral.issuing_org_id),
            actor=actor,
            event=PRESENTED,
            target=f"referral:{referral.pk}",
            subject=_("%(member)s presented themselves to %(cell)s") % names,
            body=_(
                "%(member)s presented themselves to %(cell)s on %(date)s (referral %(number)s). "
                "The introduction is complete."
            )
            % names,
            url=_detail(referral),
        )
    )


@in_site_language
def change_recorded(*, actor, notice: ChangeNotice) -> None:
    """The commune committee and the residence cell the notice is addressed to: acknowledge."""
    roles = ActingRoles.around([notice.commune, notice.residence_cell])
    names = {
        "org": notice.workplace_org,
        "member": notice.member.full_name,
        "kind": notice.get_kind_display().lower(),
        "date": f"{notice.effective_on:%d/%m/%Y}",
    }
    body = _("%(org)s tells you of a change to %(member)s: %(kind)s, from %(date)s.") % names
    if notice.details:
        body += "\n" + notice.details
    body += "\n\n" + _("Acknowledge the notice so the workplace committee knows it arrived.")
    recipients = []
    if notice.commune_id:
        recipients += roles.committee(notice.commune_id)
    if notice.residence_cell_id:
        recipients += roles.secretaries(notice.residence_cell_id)
    notify_many(
        handovers_to(
            recipients,
            actor=actor,
            event=CHANGE,
            target=f"notice:{notice.pk}",
            subject=_("Change notice: %(member)s, %(kind)s") % names,
            body=body,
            url=reverse("residence:notice_list", args=["residence"]) + "?pending=1",
        )
    )
