"""The compliance dashboard over a small province whose every figure is known."""

import dataclasses

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import dashboard as dash
from evaluations.dashboard import cached
from members.models import Organisation, Role
from partyreg.audit import audit_record
from residence.models import Referral
from tests.evaluations.dashboard.province import (
    AGENCY,
    AGENCY2,
    BLOC,
    CELL5,
    CELL7,
    COMMUNE,
    COMMUNE_DIRECT,
    OTHER_BLOC,
    OTHER_COMMUNE,
    YEAR,
    ZERO,
)
from tests.evaluations.factories import ReferralFactory
from tests.members.factories import MemberFactory, OrganisationFactory, RoleFactory, UserFactory

Side = Organisation.Side

pytestmark = pytest.mark.django_db


def as_dict(figures: dash.Figures) -> dict:
    return dataclasses.asdict(figures)


def rows_by_label(board, side):
    table = next(t for t in board.tables if t.side == side)
    return {row.label: as_dict(row.figures) for row in table.rows}, as_dict(table.total.figures)


def test_bloc_rows_are_its_grassroots_organisations(province):
    w = province.world
    board = dash.dashboard(w.bloc, YEAR)
    assert [t.side for t in board.tables] == [Side.WORKPLACE]
    rows, total = rows_by_label(board, Side.WORKPLACE)
    assert rows == {w.agency.name: AGENCY, w.agency2.name: AGENCY2}
    assert total == BLOC


def test_province_shows_both_sides(province):
    w = province.world
    board = dash.dashboard(w.province, YEAR)
    workplace, workplace_total = rows_by_label(board, Side.WORKPLACE)
    residence, residence_total = rows_by_label(board, Side.RESIDENCE)
    assert workplace == {w.bloc.name: BLOC, w.other_bloc.name: OTHER_BLOC}
    assert residence == {w.commune.name: COMMUNE, w.other_commune.name: OTHER_COMMUNE}
    assert workplace_total == {k: BLOC[k] + OTHER_BLOC[k] for k in ZERO}
    assert residence_total == {k: COMMUNE[k] + OTHER_COMMUNE[k] for k in ZERO}


def test_commune_rows_are_its_cells_and_what_waits_at_the_commune(province):
    w = province.world
    board = dash.dashboard(w.commune, YEAR)
    rows, total = rows_by_label(board, Side.RESIDENCE)
    direct = f"Directly at {w.commune.name}"
    assert rows == {
        w.residence_cell.name: CELL5,
        w.residence_cell2.name: CELL7,
        direct: COMMUNE_DIRECT,
    }
    assert total == COMMUNE


def test_members_directly_at_a_grassroots_organisation_have_their_row(province):
    w = province.world
    rows, total = rows_by_label(dash.dashboard(w.agency, YEAR), Side.WORKPLACE)
    direct = rows.pop(f"Directly at {w.agency.name}")
    assert direct["working"] == 1 and direct["presented"] == 1 and direct["on_time"] == 1
    assert direct["requested"] == 1 and direct["with_sitting"] == 0
    assert rows[w.cell.name]["working"] == 6 and total == AGENCY


def test_rates_and_bands(province):
    w = province.world
    rows = {r.label: r for r in dash.dashboard(w.bloc, YEAR).tables[0].rows}
    agency, agency2 = rows[w.agency.name], rows[w.agency2.name]
    assert agency.values["presented_rate"] == pytest.approx(3 / 7)
    assert agency.values["attendance_rate"] == pytest.approx(4 / 5)
    assert agency.values["returned_rate"] == pytest.approx(3 / 4)
    assert agency.values["acknowledged_rate"] == pytest.approx(1 / 2)
    assert agency2.values["returned_rate"] is None
    cells = {c["column"].key: c for c in agency.cells()}
    assert cells["presented_rate"]["band"] == "bad"
    assert cells["returned_rate"]["band"] == "warn"
    assert cells["attendance_rate"]["band"] == "ok"
    assert cells["near_identical"]["alarm"] and cells["overdue"]["alarm"]
    residence = {r.label: r for r in dash.dashboard(w.commune, YEAR).tables[0].rows}
    assert residence[w.residence_cell.name].values["presented_rate"] == pytest.approx(1 / 2)
    assert residence[w.residence_cell.name].values["cells_rate"] == 1.0


def test_other_years_are_counted_apart(province):
    w = province.world
    rows, total = rows_by_label(dash.dashboard(w.commune, 2025), Side.RESIDENCE)
    # Referrals are as of today; meetings, comments and notices belong to their year.
    assert total["invited"] == 2 and total["present"] == 0
    assert total["requested"] == 0 and total["notices"] == 1
    assert total["referred"] == 0  # every referral was numbered in 2026


def test_sort_puts_the_worst_first_and_blanks_last(province):
    w = province.world
    table = dash.dashboard(w.bloc, YEAR).tables[0]
    rows, key = dash.sort_rows(table.rows, None)
    assert key == "presented_rate" and [r.label for r in rows] == [w.agency.name, w.agency2.name]
    rows, _ = dash.sort_rows(table.rows, "-presented_rate")
    assert [r.label for r in rows] == [w.agency2.name, w.agency.name]
    rows, _ = dash.sort_rows(table.rows, "returned_rate")
    assert rows[-1].label == w.agency2.name  # nothing asked: no rate, last
    rows, _ = dash.sort_rows(table.rows, "-overdue")
    assert [r.values["overdue"] for r in rows] == [1, 1]
    rows, key = dash.sort_rows(table.rows, "nonsense")
    assert key == "presented_rate"
    assert dash.next_sorts("presented_rate")["presented_rate"] == "-presented_rate"
    assert dash.next_sorts("")["overdue"] == "-overdue"


def test_member_rows_of_a_workplace_cell(province):
    w, m = province.world, province.members
    rows = {r.name: r for r in dash.member_rows(w.cell, YEAR, side=Side.WORKPLACE, direct=False)}
    assert set(rows) == {m[k].full_name for k in ("an", "binh", "cuong", "dung", "em", "ha")}
    an, binh, cuong, em = (rows[m[k].full_name] for k in ("an", "binh", "cuong", "em"))
    assert (an.referral_state, an.presented_on.isoformat(), an.on_time) == (
        Referral.State.REPORTED,
        "2026-01-20",
        True,
    )
    assert (an.invited, an.present, an.comment_state) == (2, 2, "certified")
    assert an.residence == w.residence_cell.name and an.notices_open == 0
    assert binh.on_time is False and binh.near_identical and binh.comment_state == "submitted"
    assert cuong.overdue and (cuong.invited, cuong.present) == (2, 1)
    assert em.referral_state == "" and em.referral_state_label == "No referral"
    assert rows[m["ha"].full_name].notices_open == 1
    assert rows[m["ha"].full_name].referral_state == ""  # withdrawn: no live referral


def test_member_rows_of_a_residence_cell_and_the_commune_itself(province):
    w, m = province.world, province.members
    cell = dash.member_rows(w.residence_cell, YEAR, side=Side.RESIDENCE, direct=False)
    assert [r.name for r in cell] == [m["cuong"].full_name, m["an"].full_name]
    waiting = dash.member_rows(w.commune, YEAR, side=Side.RESIDENCE, direct=True)
    assert {r.name for r in waiting} == {m["dung"].full_name, m["hung"].full_name}
    assert all(r.residence == w.commune.name for r in waiting)


def test_progress_stages_and_attendance_by_month(province):
    w = province.world
    totals = dash.dashboard(w.bloc, YEAR).totals[Side.WORKPLACE]
    stages = dash.progress_stages(totals, Side.WORKPLACE)
    assert [count for _label, count, _base in stages] == [9, 7, 6, 5, 4, 4, 3, 2]
    assert {base for _l, _c, base in stages} == {9}
    months = dash.attendance_by_month(w.commune, YEAR, Side.RESIDENCE)
    assert months[2] == (3, 2, 2) and months[3] == (4, 2, 1) and months[4] == (5, 2, 1)
    assert sum(invited for _m, invited, _p in months) == 6
    by_members = dash.attendance_by_month(w.agency2, YEAR, Side.WORKPLACE)
    assert by_members[3] == (4, 1, 0)


def test_worst_rows(province):
    w = province.world
    assert [r.label for r in dash.worst_of(dash.dashboard(w.province, YEAR))] == [
        w.other_bloc.name,  # nobody presented: 0%
        w.bloc.name,
        w.commune.name,
    ]


# --- The page ---------------------------------------------------------------------------------


def test_page_shows_the_rows_worst_first_with_bands(province, login):
    w = province.world
    response = login(w.bloc_staff).get(reverse("evaluations:dashboard", args=[w.bloc.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(w.agency.name) < html.index(w.agency2.name)
    assert 'class="rate-bad" data-key="presented_rate">43%' in html
    assert 'class="rate-warn" data-key="presented_rate">50%' in html
    assert "<svg" in html and 'viewBox="0 0 360' in html
    assert reverse("evaluations:dashboard", args=[w.agency.pk]) in html


def test_page_sorts_by_any_column(province, login):
    w = province.world
    client = login(w.bloc_staff)
    url = reverse("evaluations:dashboard", args=[w.bloc.pk])
    html = client.get(url, {"sort": "-presented_rate"}).content.decode()
    assert html.index(w.agency2.name) < html.index(w.agency.name)
    html = client.get(url, {"sort": "name"}).content.decode()
    assert html.index(w.agency.name) < html.index(w.agency2.name)


def test_drill_down_to_the_members_of_a_cell(province, login):
    w, m = province.world, province.members
    response = login(w.secretary).get(reverse("evaluations:dashboard", args=[w.cell.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("members:member_detail", args=[m["an"].pk]) in html
    assert m["em"].full_name in html and m["phuc"].full_name not in html
    direct = login(w.secretary).get(
        reverse("evaluations:dashboard", args=[w.agency.pk]), {"direct": "workplace"}
    )
    assert [r.name for r in direct.context["member_rows"]] == [m["minh"].full_name]


def test_residence_cell_members_link_to_their_attendance(province, login):
    w, m = province.world, province.members
    html = (
        login(w.residence_secretary)
        .get(reverse("evaluations:dashboard", args=[w.residence_cell.pk]))
        .content.decode()
    )
    assert reverse("residence:member_attendance", args=[m["an"].pk]) in html


@pytest.mark.parametrize(
    "user, org, status",
    [
        ("secretary", "agency", 200),
        ("secretary", "cell", 200),
        ("secretary", "agency2", 404),
        ("secretary", "bloc", 404),
        ("secretary", "commune", 404),
        ("bloc_staff", "bloc", 200),
        ("bloc_staff", "province", 404),
        ("bloc_staff", "other_agency", 404),
        ("commune_officer", "commune", 200),
        ("commune_officer", "residence_cell2", 200),
        ("commune_officer", "other_commune", 404),
        ("residence_secretary", "residence_cell", 200),
        ("residence_secretary", "commune", 404),
        ("member_user", "cell", 404),
        ("admin", "province", 200),
    ],
)
def test_who_sees_which_dashboard(province, login, user, org, status):
    w = province.world
    client = login(getattr(w, user))
    pk = getattr(w, org).pk
    for name in ("evaluations:dashboard", "evaluations:dashboard_export"):
        assert client.get(reverse(name, args=[pk])).status_code == status


def test_anonymous_is_sent_to_login(province, client):
    w = province.world
    for name in ("dashboard", "dashboard_export", "dashboard_report"):
        response = client.get(reverse(f"evaluations:{name}", args=[w.bloc.pk]))
        assert response.status_code == 302 and reverse("login") in response.url
    response = client.get(reverse("evaluations:dashboard_index"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_index_goes_to_the_users_organisation(province, login, settings):
    settings.LANGUAGE_CODE = "en"
    w = province.world
    response = login(w.bloc_staff).get(reverse("evaluations:dashboard_index"))
    assert response.url == reverse("evaluations:dashboard", args=[w.bloc.pk])
    two = UserFactory(username="hai-vai")
    RoleFactory(user=two, organisation=w.agency)
    RoleFactory(user=two, organisation=w.commune, kind=Role.Kind.OFFICER)
    response = login(two).get(reverse("evaluations:dashboard_index"))
    assert response.status_code == 200 and w.commune.name in response.content.decode()
    response = login(w.member_user).get(reverse("evaluations:dashboard_index"), follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "no role in an organisation" in response.content.decode()


def test_a_bad_year_falls_back_to_this_year(province, login):
    w = province.world
    client = login(w.bloc_staff)
    url = reverse("evaluations:dashboard", args=[w.bloc.pk])
    assert client.get(url, {"year": "abc"}).context["year"] == YEAR
    assert client.get(url, {"year": "1900"}).context["year"] == YEAR
    assert client.get(url, {"year": "2025"}).context["year"] == 2025


# --- Queries: a fixed number, whatever the rows -------------------------------------------------


def _grow(w, organisations: int) -> None:
    """``organisations`` more grassroots organisations under the bloc, each with a cell, two
    members, and a referral to a new residence cell of the commune."""
    for i in range(organisations):
        agency = OrganisationFactory(
            name=f"Đảng bộ thêm {i}", kind=Organisation.Kind.GRASSROOTS, parent=w.bloc
        )
        cell = OrganisationFactory(
            name=f"Chi bộ thêm {i}", kind=Organisation.Kind.CELL, parent=agency
        )
        residence_cell = OrganisationFactory(
            name=f"Tổ dân phố thêm {i}", kind=Organisation.Kind.RESIDENCE_CELL, parent=w.commune
        )
        for j in range(2):
            member = MemberFactory(workplace_org=cell)
            if j == 0:
                ReferralFactory(member=member, residence_cell=residence_cell)


def _queries(client, url, params=None, *, cached=False) -> int:
    """The queries of one request; the figures counted afresh unless ``cached``."""
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("org", ["bloc", "province", "commune"])
def test_query_count_does_not_grow_with_the_rows(province, login, org):
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[getattr(w, org).pk])
    _queries(client, url)
    small = _queries(client, url)
    _grow(w, 2)
    rows_before = len(client.get(url).context["board"].tables[0].rows)
    _grow(w, 20)
    rows_after = len(client.get(url).context["board"].tables[0].rows)
    assert _queries(client, url) == small
    if org != "province":
        assert rows_after >= rows_before + 20


def test_figures_are_kept_until_a_change_is_recorded(province, login):
    w, m = province.world, province.members
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.bloc.pk])
    counted = _queries(client, url)
    kept = _queries(client, url, cached=True)
    # The stamp and the page's own reads remain; the figures' queries are gone.
    assert kept <= counted - 4
    Referral.objects.filter(member=m["cuong"]).update(state=Referral.State.REPORTED)
    total = client.get(url).context["board"].tables[0].total
    assert total.values["presented"] == BLOC["presented"]  # no audit entry: still the kept ones
    audit_record(actor=w.admin, action="referral.report", target=m["cuong"])
    total = client.get(url).context["board"].tables[0].total
    assert total.values["presented"] == BLOC["presented"] + 1


def test_figures_are_counted_when_the_cache_is_down(province, monkeypatch):
    w = province.world

    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get

    monkeypatch.setattr(cached, "cache", Down())
    rows, total = rows_by_label(dash.dashboard(w.bloc, YEAR), Side.WORKPLACE)
    assert total == BLOC


def test_member_level_query_count_does_not_grow(province, login):
    w = province.world
    client = login(w.admin)
    url = reverse("evaluations:dashboard", args=[w.cell.pk])
    _queries(client, url)
    small = _queries(client, url)
    for _ in range(30):
        member = MemberFactory(workplace_org=w.cell)
        ReferralFactory(member=member, residence_cell=w.residence_cell)
    assert _queries(client, url) == small


def test_names_sort_by_their_numbers():
    labels = ["Tổ dân phố 10", "Tổ dân phố 2", "Chi bộ A", "Tổ dân phố 1"]
    assert sorted(labels, key=dash.figures.natural_key) == [
        "Chi bộ A",
        "Tổ dân phố 1",
        "Tổ dân phố 2",
        "Tổ dân phố 10",
    ]
