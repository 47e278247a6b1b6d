"""The main menu: each role sees the places it can use, nothing that would answer 404.

A context processor of the top app, since the menu names every app's pages. It reads only the
user's roles, which the request loads once (members.scoping.user_roles): no page pays another
query for its menu unless it had not looked at the roles already.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from members.models import Role
from members.scoping import is_site_admin, user_roles
from residence.selectors import referral_sides

from .selectors import campaign_sides


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    # The URL prefix under which the item is the current page (highlighted, aria-current).
    section: str


def _item(label, name: str, section: str | None = None) -> MenuItem:
    url = reverse(name)
    return MenuItem(label=label, url=url, section=section or url)


def menu_items(user) -> list[MenuItem]:
    """The menu of ``user``: a committee's pages for committee roles, a member's for members."""
    if not user.is_authenticated:
        return []
    items = [_item(_("Home"), "home", section="/$")]
    admin = is_site_admin(user)
    roles = user_roles(user)
    if admin or roles:
        items.append(_item(_("Members"), "members:member_list"))
        items.append(_item(_("Party organisations"), "members:organisation_tree"))
    else:
        # A member without a committee role: their own record, their meetings.
        items.append(_item(_("My record"), "members:member_list"))
    if referral_sides(user):
        items.append(_item(_("Referrals"), "residence:index", section="/residence/referral"))
    if admin or roles:
        items.append(_item(_("Meetings"), "residence:meeting_index"))
    else:
        items.append(_item(_("My meetings"), "residence:my_meetings"))
    if campaign_sides(user):
        items.append(_item(_("Comments"), "evaluations:index"))
    if admin or roles:
        items.append(_item(_("Compliance"), "evaluations:dashboard_index"))
    return items


def may_change_reminder_settings(user) -> bool:
    """Whether the reminder settings page has an organisation for the user (acting roles)."""
    return is_site_admin(user) or any(r.kind in Role.ACTING_KINDS for r in user_roles(user))


def menu(request) -> dict:
    """Context processor: ``menu`` (the items) and ``menu_current`` (the current item's URL)."""
    user = request.user

    def current() -> str:
        path = request.path
        matches = [
            item
            for item in menu_items(user)
            if (item.section == "/$" and path == "/")
            or (item.section != "/$" and path.startswith(item.section))
        ]
        return max(matches, key=lambda item: len(item.section)).url if matches else ""

    return {
        "menu": SimpleLazyObject(lambda: menu_items(user)),
        "menu_current": SimpleLazyObject(current),
        "may_change_reminder_settings": SimpleLazyObject(
            lambda: may_change_reminder_settings(user)
        ),
    }
