import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from residence import services
from residence.models import ChangeNotice, Referral
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    # Messages are asserted in their English source wording, whatever the translations say.
    settings.LANGUAGE_CODE = "en"


S = Referral.State


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def referral(world):
    return services.referral_issue(actor=world.secretary, member=world.member)


def _state(referral):
    return Referral.objects.get(pk=referral.pk).state


# --- Anonymous, other organisation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("residence:index", []),
        ("residence:referral_list", ["workplace"]),
        ("residence:referral_detail", ["pk"]),
        ("residence:referral_letter", ["pk"]),
        ("residence:referral_issue_many", []),
        ("residence:change_record", ["member"]),
        ("residence:notice_list", ["residence"]),
    ],
)
def test_anonymous_is_sent_to_login(client, world, referral, name, args):
    args = [referral.pk if a == "pk" else world.member.pk if a == "member" else a for a in args]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_other_organisation_gets_404(login, world, referral):
    client = login(world.other_secretary)
    for name in ("referral_detail", "referral_letter", "referral_close"):
        assert client.get(reverse(f"residence:{name}", args=[referral.pk])).status_code == 404
    for name in ("referral_receive", "referral_assign", "referral_report"):
        assert client.post(reverse(f"residence:{name}", args=[referral.pk])).status_code == 404
    assert client.get(reverse("residence:change_record", args=[world.member.pk])).status_code == 404
    assert (
        client.post(reverse("residence:referral_issue", args=[world.member.pk])).status_code == 404
    )
    assert _state(referral) == S.ISSUED


def test_residence_cell_cannot_see_unassigned_referral(login, world, referral):
    client = login(world.residence_secretary)
    assert client.get(reverse("residence:referral_detail", args=[referral.pk])).status_code == 404


# --- The journey through the views ---------------------------------------------------------------


def test_workplace_secretary_issues_from_the_member_page(login, world):
    client = login(world.secretary)
    page = client.get(reverse("members:member_detail", args=[world.member.pk])).content.decode()
    issue_url = reverse("residence:referral_issue", args=[world.member.pk])
    assert issue_url in page
    assert reverse("residence:change_record", args=[world.member.pk]) in page
    response = client.post(issue_url)
    referral = Referral.objects.get(member=world.member)
    assert response.url == reverse("residence:referral_detail", args=[referral.pk])
    assert "1-GGT/ĐU" in messages_of(response)[-1]


def test_commune_receives_assigns_and_cell_reports(login, world, referral):
    client = login(world.commune_officer)
    detail = reverse("residence:referral_detail", args=[referral.pk])
    assert (
        reverse("residence:referral_receive", args=[referral.pk])
        in client.get(detail).content.decode()
    )
    client.post(reverse("residence:referral_receive", args=[referral.pk]))
    assert _state(referral) == S.RECEIVED
    client.post(
        reverse("residence:referral_assign", args=[referral.pk]),
        {"residence_cell": world.residence_cell.pk},
    )
    assert _state(referral) == S.ASSIGNED
    client = login(world.residence_secretary)
    body = client.get(reverse("residence:referral_list", args=["residence"])).content.decode()
    assert "Nguyễn Văn An" in body
    response = client.post(
        reverse("residence:referral_report", args=[referral.pk]),
        {"presented_on": timezone.localdate().isoformat()},
    )
    assert _state(referral) == S.REPORTED
    assert "presented" in messages_of(response)[-1]


def test_wrong_role_is_refused_with_a_message_and_nothing_changes(login, world, referral):
    client = login(world.bloc_staff)  # supervising staff: may read, not act
    assert client.get(reverse("residence:referral_detail", args=[referral.pk])).status_code == 200
    response = client.post(reverse("residence:referral_receive", args=[referral.pk]))
    assert response.status_code == 302
    assert "Only the commune committee" in messages_of(response)[-1]
    assert _state(referral) == S.ISSUED
    client = login(world.secretary)
    response = client.post(reverse("residence:referral_receive", args=[referral.pk]))
    assert "Only the commune committee" in messages_of(response)[-1]
    assert _state(referral) == S.ISSUED


def test_wrong_state_is_refused_with_a_message_and_nothing_changes(login, world, referral):
    client = login(world.commune_officer)
    response = client.post(
        reverse("residence:referral_assign", args=[referral.pk]),
        {"residence_cell": world.residence_cell.pk},
    )
    assert "Record the receipt" in messages_of(response)[-1]
    assert _state(referral) == S.ISSUED


def test_bulk_receive_and_assign(login, world, referral):
    second = services.referral_issue(
        actor=world.secretary,
        member=MemberFactory(workplace_org=world.cell, residence_commune=world.commune),
    )
    client = login(world.commune_officer)
    url = reverse("residence:referral_bulk", args=["residence"])
    client.post(url, {"ids": [referral.pk, second.pk], "action": "receive"})
    assert {_state(referral), _state(second)} == {S.RECEIVED}
    response = client.post(url, {"ids": [referral.pk, second.pk], "action": "assign"})
    assert "Choose the residence cell" in messages_of(response)[-1]
    client.post(
        url,
        {
            "ids": [referral.pk, second.pk],
            "action": "assign",
            "residence_cell": world.residence_cell.pk,
        },
    )
    assert {_state(referral), _state(second)} == {S.ASSIGNED}


def test_bulk_with_an_outside_referral_changes_nothing(login, world, referral):
    theirs = services.referral_issue(actor=world.other_secretary, member=world.other_member)
    response = login(world.commune_officer).post(
        reverse("residence:referral_bulk", args=["residence"]),
        {"ids": [referral.pk, theirs.pk], "action": "receive"},
    )
    assert "outside your organisation" in messages_of(response)[-1]
    assert _state(referral) == S.ISSUED and _state(theirs) == S.ISSUED


def test_bulk_issue_page(login, world):
    exempt = MemberFactory(
        full_name="Lê Văn Miễn",
        workplace_org=world.cell,
        residence_commune=world.commune,
        category=Member.Category.EXEMPT_INTRODUCTION,
        category_reason="Nhiệm vụ bí mật",
    )
    plain = MemberFactory(
        full_name="Phạm Văn Thường", workplace_org=world.cell, residence_commune=world.commune
    )
    client = login(world.secretary)
    page = client.get(reverse("residence:referral_issue_many")).content.decode()
    assert "Phạm Văn Thường" in page and "Lê Văn Miễn" not in page
    response = client.post(
        reverse("residence:referral_issue_many"), {"ids": [world.member.pk, plain.pk, exempt.pk]}
    )
    assert response.status_code == 200
    assert Referral.objects.filter(member__in=[world.member, plain]).count() == 2
    assert not Referral.objects.filter(member=exempt).exists()
    assert "batch=" in response.content.decode()


def test_member_sees_own_referral(login, world, referral):
    client = login(world.member_user)
    page = client.get(reverse("members:member_detail", args=[world.member.pk])).content.decode()
    assert "1-GGT/ĐU" in page
    assert reverse("residence:change_record", args=[world.member.pk]) not in page
    assert client.get(reverse("residence:referral_detail", args=[referral.pk])).status_code == 200
    response = client.post(reverse("residence:referral_receive", args=[referral.pk]))
    assert _state(referral) == S.ISSUED and messages_of(response)


# --- The address proposes the cell ----------------------------------------------------------------


@pytest.fixture
def areas(world):
    """Two cells of the commune and the areas the commune says they cover."""
    from members.services import residence_area_add
    from tests.members.factories import OrganisationFactory

    twelve = OrganisationFactory(
        name="Chi bộ Tổ dân phố 12", kind="residence_cell", parent=world.commune
    )
    residence_area_add(actor=world.commune_officer, cell=world.residence_cell, name="Tổ dân phố 5")
    residence_area_add(actor=world.commune_officer, cell=twelve, name="Tổ dân phố 12")
    return twelve


def _received(world, name, address):
    member = MemberFactory(
        full_name=name,
        workplace_org=world.cell,
        residence_commune=world.commune,
        residence_address=address,
    )
    referral = services.referral_issue(actor=world.secretary, member=member)
    return services.referral_receive(actor=world.commune_officer, referral=referral)


def test_the_referral_shows_the_address_and_proposes_its_cell(login, world, areas):
    referral = _received(world, "Lê Văn Tư", "Số 8, đường Hai Bà Trưng, tổ dân phố 12")
    client = login(world.commune_officer)
    response = client.get(reverse("residence:referral_detail", args=[referral.pk]))
    body = response.content.decode()
    assert "Số 8, đường Hai Bà Trưng, tổ dân phố 12" in body
    assert "Proposed from the address: Chi bộ Tổ dân phố 12" in body
    form = response.context["assign_form"]
    assert form["residence_cell"].value() == areas.pk
    # The cells in number order: 5 before 12.
    labels = [label for _value, label in form.fields["residence_cell"].choices][1:]
    assert labels == ["Chi bộ Tổ dân phố 5", "Chi bộ Tổ dân phố 12"]
    client.post(
        reverse("residence:referral_assign", args=[referral.pk]), {"residence_cell": areas.pk}
    )
    assert Referral.objects.get(pk=referral.pk).residence_cell == areas


def test_an_address_naming_no_area_proposes_nothing(login, world, areas):
    referral = _received(world, "Lê Văn Năm", "Số 8, tổ dân phố 125")
    response = login(world.commune_officer).get(
        reverse("residence:referral_detail", args=[referral.pk])
    )
    assert "No proposal: the address names no area" in response.content.decode()
    assert response.context["assign_form"]["residence_cell"].value() is None


def test_the_list_proposes_a_cell_per_row_and_assigns_each_to_its_own(login, world, areas):
    five = _received(world, "Lê Văn Một", "Số 1, tổ dân phố 5")
    twelve = _received(world, "Lê Văn Hai", "Số 2, Tổ Dân Phố 12")
    unknown = _received(world, "Lê Văn Ba", "Số 3, thôn Đa Lộc")
    client = login(world.commune_officer)
    response = client.get(reverse("residence:referral_list", args=["residence"]))
    body = response.content.decode()
    assert "Số 2, Tổ Dân Phố 12" in body
    rows = {r.pk: r for r in response.context["page"].object_list}
    assert rows[five.pk].proposal.cell == world.residence_cell
    assert rows[twelve.pk].proposal.cell == areas
    assert rows[unknown.pk].proposal is None
    assert f'<option value="{areas.pk}" selected>' in body

    url = reverse("residence:referral_bulk", args=["residence"])
    chosen = {f"cell_{five.pk}": world.residence_cell.pk, f"cell_{twelve.pk}": areas.pk}
    response = client.post(
        url, {"ids": [five.pk, twelve.pk, unknown.pk], "action": "assign_rows", **chosen}
    )
    assert "on the row of Lê Văn Ba" in messages_of(response)[-1]
    assert {_state(five), _state(twelve), _state(unknown)} == {S.RECEIVED}
    # A cell of another commune is no choice at all.
    response = client.post(
        url,
        {
            "ids": [five.pk, unknown.pk],
            "action": "assign_rows",
            **chosen,
            f"cell_{unknown.pk}": world.other_residence_cell.pk,
        },
    )
    assert "on the row of Lê Văn Ba" in messages_of(response)[-1]
    response = client.post(url, {"ids": [five.pk, twelve.pk], "action": "assign_rows", **chosen})
    assert "2 members assigned, each to the cell chosen" in messages_of(response)[-1]
    assert Referral.objects.get(pk=five.pk).residence_cell == world.residence_cell
    assert Referral.objects.get(pk=twelve.pk).residence_cell == areas


def test_the_referral_pages_open_on_the_side_with_work(login, world):
    client = login(world.bloc_staff)  # reaches both sides; its commune side is empty
    index = reverse("residence:index")
    # No work anywhere: the first side.
    assert client.get(index).url == reverse("residence:referral_list", args=["residence"])
    services.referral_issue(actor=world.secretary, member=world.member)
    assert client.get(index).url == reverse("residence:referral_list", args=["workplace"])
    client = login(world.admin)  # both sides, the residence side first when it has work
    assert client.get(index).url == reverse("residence:referral_list", args=["residence"])
    assert login(world.commune_officer).get(index).url == reverse(
        "residence:referral_list", args=["residence"]
    )


# --- Changes -----------------------------------------------------------------------------------


def test_record_a_move_through_the_form(login, world, referral):
    client = login(world.secretary)
    url = reverse("residence:change_record", args=[world.member.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": "moved",
            "effective_on": timezone.localdate().isoformat(),
            "residence_address": "7 Phan Đình Phùng",
            "residence_commune": world.other_commune.pk,
        },
    )
    assert response.status_code == 302
    assert "Đảng ủy phường Lâm Viên" in messages_of(response)[-1]
    assert _state(referral) == S.CLOSED
    assert Referral.objects.get(member=world.member, state=S.ISSUED).commune == world.other_commune


def test_change_form_shows_what_to_fix(login, world, referral):
    response = login(world.secretary).post(
        reverse("residence:change_record", args=[world.member.pk]),
        {"kind": "moved", "effective_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "Choose the commune or ward the member moved to." in response.content.decode()
    assert not ChangeNotice.objects.exists()


def test_member_edit_no_longer_changes_residence_or_workplace(login, world):
    client = login(world.secretary)
    url = reverse("members:member_edit", args=[world.member.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(
        position="Chuyên viên",
        residence_commune=world.other_commune.pk,
        residence_address="Somewhere else",
        status="deceased",
        date_of_birth="1985-05-17",
        admitted_on="2010-03-03",
        full_member_on="2011-03-03",
        workplace_org=world.other_cell.pk,
    )
    data.pop("user", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    member = Member.objects.get(pk=world.member.pk)
    assert member.position == "Chuyên viên"
    assert member.residence_commune == world.commune
    assert member.residence_address == "12 Trần Phú"
    assert member.status == Member.Status.ACTIVE
    assert member.workplace_org == world.cell


def test_notice_list_and_acknowledge(login, world, referral):
    services.change_record(
        actor=world.secretary,
        member=world.member,
        kind="disciplined",
        effective_on=timezone.localdate(),
    )
    notice = ChangeNotice.objects.get()
    client = login(world.commune_officer)
    body = client.get(reverse("residence:notice_list", args=["residence"])).content.decode()
    assert "Nguyễn Văn An" in body
    ack = reverse("residence:notice_acknowledge", args=[notice.pk])
    assert ack in body
    client.post(ack)
    assert ChangeNotice.objects.get().acknowledged_by == world.commune_officer
    response = client.post(ack)
    assert "already acknowledged" in messages_of(response)[-1]
    assert login(world.other_secretary).post(ack).status_code == 404


# --- Query counts --------------------------------------------------------------------------------


def _grow(world, count, *, received=False):
    for _ in range(count):
        member = MemberFactory(
            workplace_org=world.cell,
            residence_commune=world.commune,
            residence_address="Số 3, tổ dân phố 5",
        )
        referral = services.referral_issue(actor=world.secretary, member=member)
        if received:
            services.referral_receive(actor=world.commune_officer, referral=referral)


@pytest.mark.parametrize(
    "user_name, side, expected",
    # session, user, roles, page count, state counts, filter's organisations, [cells, their
    # areas], rows, and the session save (savepoint, update, release). The commune's rows
    # waiting for a cell carry a menu and a proposal read from the address: no query per row.
    [("secretary", "workplace", 10), ("commune_officer", "residence", 12)],
)
def test_list_query_count_is_pinned_and_stable(
    login, world, django_assert_num_queries, user_name, side, expected
):
    from members.services import residence_area_add

    residence_area_add(actor=world.commune_officer, cell=world.residence_cell, name="Tổ dân phố 5")
    client = login(getattr(world, user_name))
    url = reverse("residence:referral_list", args=[side])
    _grow(world, 4, received=side == "residence")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 4
    _grow(world, 36, received=side == "residence")
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 40
    assert len(small) == expected
    if side == "residence":
        assert response.content.decode().count("data-proposal") == 40


def test_member_page_panel_costs_two_queries(login, world, referral, django_assert_num_queries):
    client = login(world.secretary)
    url = reverse("members:member_detail", args=[world.member.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for kind in ("disciplined",):
        services.change_record(
            actor=world.secretary, member=world.member, kind=kind, effective_on=timezone.localdate()
        )
    _grow(world, 3)
    with django_assert_num_queries(len(one)):
        client.get(url)
