"""The member page's referrals and change notices, drawn by residence for members' template.

members may not import residence, so its detail template loads this tag: two queries.
"""

from django import template

from residence import permissions
from residence.models import Referral
from residence.selectors import member_notices, member_referrals

register = template.Library()


@register.inclusion_tag("residence/member_panel.html", takes_context=True)
def residence_panel(context, member):
    user = context["request"].user
    referrals = member_referrals(member)
    live = next((r for r in referrals if r.state != Referral.State.CLOSED), None)
    can_issue = permissions.can_issue_referral(user, member)
    return {
        "member": member,
        "referrals": referrals,
        "notices": member_notices(member),
        "can_issue": can_issue and member.is_live and live is None,
        "can_record_change": permissions.can_record_change(user, member) and member.is_live,
    }
