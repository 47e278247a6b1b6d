"""The demo province loaded in bulk: ``load()`` writes a plan (plan.py) in one transaction with
bulk inserts and one audit entry for the whole load.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext

from members.models import Member, Organisation, ResidenceArea
from members.permissions import must_use_two_factor
from members.scoping import forget_roles
from members.services import organisations_bulk_create, role_grant
from partyreg.audit import audit_record
from partyreg.text import fold
from partyreg.twofactor import totp_device_create

from .plan import DEMO_PASSWORD, DEMO_TOTP_KEY, ROOT_CODE, DemoAlreadyLoaded, DemoPlan, LoadResult


def demo_loaded() -> bool:
    return Organisation.objects.filter(code=ROOT_CODE).exists()


@transaction.atomic
def load(plan: DemoPlan, *, password: str = DEMO_PASSWORD) -> LoadResult:
    """Writes ``plan``: organisations level by level, the demo logins, members, roles."""
    if demo_loaded():
        raise DemoAlreadyLoaded
    orgs = _load_organisations(plan)
    users, kept = _load_users(plan, password)
    member_user = {
        login.member_index: users[login.username]
        for login in plan.logins
        if login.member_index is not None and login.username not in kept
    }
    Member.objects.bulk_create(
        (
            Member(
                full_name=m.full_name,
                search_name=fold(m.full_name),
                gender=m.gender,
                date_of_birth=m.date_of_birth,
                card_number=m.card_number,
                profile_number=m.profile_number,
                admitted_on=m.admitted_on,
                full_member_on=m.full_member_on,
                workplace_org_id=orgs[m.workplace].pk,
                position=m.position,
                phone=m.phone,
                residence_address=m.residence_address,
                residence_commune_id=orgs[m.residence_commune].pk,
                status=m.status,
                category=m.category,
                category_reason=m.category_reason,
                category_since=m.category_since,
                user=member_user.get(i),
            )
            for i, m in enumerate(plan.members)
        ),
        batch_size=2000,
    )
    logins = []
    for login in plan.logins:
        user = users[login.username]
        if login.role:
            role = role_grant(
                actor=None, user=user, organisation=orgs[login.organisation], kind=login.role
            )
            what = f"{role.get_kind_display()} — {role.organisation.name}"
        elif login.is_superuser:
            what = gettext("site administrator")
        else:
            what = gettext("Party member “%(name)s”") % {
                "name": plan.members[login.member_index].full_name
            }
        forget_roles(user)
        if login.username not in kept and must_use_two_factor(user):
            totp_device_create(user=user, confirmed=True, key=DEMO_TOTP_KEY)
            what += " — " + gettext("two-factor login: manage.py demo_otp %(username)s") % {
                "username": login.username
            }
        logins.append((login.username, user.get_full_name(), what))
    audit_record(
        actor=None,
        action="demo.load",
        target=orgs[ROOT_CODE],
        changes={},
        note=(
            f"Demo data ({plan.size}, seed {plan.seed}): {len(plan.organisations)} organisations, "
            f"{len(plan.members)} members."
        ),
    )
    return LoadResult(
        organisations=len(plan.organisations),
        members=len(plan.members),
        logins=logins,
        kept_users=kept,
    )


def _load_organisations(plan: DemoPlan) -> dict[str, Organisation]:
    children = defaultdict(list)
    for spec in plan.organisations:
        children[spec.parent].append(spec)
    orgs: dict[str, Organisation] = {}
    level = children[None]
    while level:
        created = organisations_bulk_create(
            nodes=[
                Organisation(
                    name=spec.name,
                    code=spec.code,
                    kind=spec.kind,
                    parent=orgs.get(spec.parent),
                    place_name=spec.place_name,
                    superior_name=spec.superior_name,
                )
                for spec in level
            ]
        )
        orgs.update(zip((spec.code for spec in level), created, strict=True))
        level = [child for spec in level for child in children[spec.code]]
    ResidenceArea.objects.bulk_create(
        (
            ResidenceArea(cell=orgs[spec.code], name=area, search_name=fold(area))
            for spec in plan.organisations
            for area in spec.areas
        ),
        batch_size=2000,
    )
    return orgs


def _load_users(plan: DemoPlan, password: str):
    """The demo logins; an account that already exists keeps its password and flags."""
    User = get_user_model()
    existing = {
        u.username: u for u in User.objects.filter(username__in=[x.username for x in plan.logins])
    }
    hashed = make_password(password)
    users, kept = {}, []
    for login in plan.logins:
        if login.username in existing:
            users[login.username] = existing[login.username]
            kept.append(login.username)
            continue
        users[login.username] = User.objects.create(
            username=login.username,
            first_name=login.first_name,
            last_name=login.last_name,
            email=f"{login.username}@demo.partyreg.vn",
            password=hashed,
            is_superuser=login.is_superuser,
            is_staff=login.is_superuser,
        )
    return users, kept
