"""The demo province: generated the same way every time, loaded once, with working logins.

The bloc load takes about 1.5 s on SQLite, so the tests load the real bloc size.
Tolerance on the bloc's member count: 2,600 to 2,800 (the source article says "about 2,700").
"""

import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from evaluations.demo import plan as demo_plan
from evaluations.demo import tree
from evaluations.demo.names import FAMILY_NAMES
from members.areas import names_area
from members.models import Member, Organisation, ResidenceArea, Role
from members.selectors import members_visible_to
from partyreg.models import AuditEntry

K = Organisation.Kind


@pytest.fixture(scope="module")
def bloc_plan():
    return demo_plan.generate("bloc")


def test_generation_is_deterministic_and_follows_the_seed(bloc_plan):
    assert demo_plan.generate("bloc") == bloc_plan
    other = demo_plan.generate("bloc", seed=7)
    assert other != bloc_plan
    assert other.members[0].full_name != bloc_plan.members[0].full_name or (
        other.members[0].card_number != bloc_plan.members[0].card_number
    )


def test_bloc_plan_has_the_sizes_of_the_source(bloc_plan):
    assert bloc_plan.count(K.GRASSROOTS) == 68
    assert 2_600 <= len(bloc_plan.members) <= 2_800
    assert bloc_plan.count(K.COMMUNE) == 10
    assert bloc_plan.count(K.RESIDENCE_CELL) >= 50
    by_code = {o.code: o for o in bloc_plan.organisations}
    bloc = by_code["demo-b01"]
    assert bloc.name == "Đảng bộ Khối các cơ quan tỉnh" and bloc.parent == demo_plan.ROOT_CODE
    cells_per_org = Counter(o.parent for o in bloc_plan.organisations if o.kind == K.CELL)
    grassroots = [o for o in bloc_plan.organisations if o.kind == K.GRASSROOTS]
    assert all(1 <= cells_per_org[g.code] <= 6 for g in grassroots)
    assert all(g.parent == "demo-b01" for g in grassroots)
    names = {o.name for o in bloc_plan.organisations}
    assert {"Đảng bộ Sở Tài chính", "Chi bộ Ban Dân vận Tỉnh ủy"} <= names
    assert "Đảng ủy phường Xuân Hương – Đà Lạt" in names
    assert "Đảng ủy xã Hiệp Thạnh" in names
    assert all(o.place_name and o.superior_name for o in bloc_plan.organisations)
    assert by_code["demo-b01-g01"].superior_name == "ĐẢNG BỘ KHỐI CÁC CƠ QUAN TỈNH"
    assert bloc.superior_name == "ĐẢNG BỘ TỈNH LÂM ĐỒNG"


def test_bloc_members_look_real(bloc_plan):
    members = bloc_plan.members
    n = len(members)
    cards = [m.card_number for m in members]
    assert len(set(cards)) == n and all(re.fullmatch(r"[1-9]\d{7}", c) for c in cards)
    families = Counter(m.full_name.split()[0] for m in members)
    assert set(families) <= {name for name, _ in FAMILY_NAMES}
    assert families.most_common(1)[0][0] == "Nguyễn"
    assert 0.30 < families["Nguyễn"] / n < 0.46
    genders = Counter(m.gender for m in members)
    assert 0.4 < genders[Member.Gender.FEMALE] / n < 0.6
    categories = Counter(m.category for m in members)
    assert categories[Member.Category.EXEMPT_ACTIVITY] == round(n * 0.03)
    assert categories[Member.Category.EXEMPT_INTRODUCTION] == round(n * 0.01)
    assert all(m.category_reason for m in members if m.category != Member.Category.NORMAL)
    assert 5 <= sum(1 for m in members if m.status != Member.Status.ACTIVE) <= 60
    for m in members:
        assert m.date_of_birth < m.admitted_on <= demo_plan.REFERENCE_DATE
        assert m.full_member_on is None or m.full_member_on > m.admitted_on
        assert m.residence_address.startswith("Số ")
        assert m.residence_cell.startswith(m.residence_commune + "-")


def test_every_member_lives_in_an_area_of_their_cell_and_of_no_other(bloc_plan):
    cells = {o.code: o for o in bloc_plan.organisations if o.kind == K.RESIDENCE_CELL}
    assert all(cell.areas for cell in cells.values())
    by_commune = {}
    for cell in cells.values():
        by_commune.setdefault(cell.parent, []).append(cell)
    for m in bloc_plan.members:
        named = [
            c.code
            for c in by_commune[m.residence_commune]
            if any(names_area(m.residence_address, area) for area in c.areas)
        ]
        assert named == [m.residence_cell], m.residence_address


def test_province_plan_is_benchmark_sized():
    plan = demo_plan.generate("province")
    assert 95_000 <= len(plan.members) <= 105_000
    assert 90 <= plan.count(K.COMMUNE) <= 130
    assert plan.count(K.GRASSROOTS) > 1_000
    assert plan.count(K.RESIDENCE_CELL) > 500
    # The same supervising, workplace and commune logins as in the bloc-sized demo.
    assert plan.logins[:3] == demo_plan.generate("bloc").logins[:3]
    assert [login.username for login in plan.logins] == [
        "khoi",
        "coquan",
        "phuong",
        "chibo",
        "dangvien",
        "admin",
    ]


def _counts():
    return (
        Organisation.objects.count(),
        Member.objects.count(),
        Role.objects.count(),
        get_user_model().objects.count(),
        AuditEntry.objects.filter(action="demo.load").count(),
    )


@pytest.fixture
def loaded(db, bloc_plan):
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_command_loads_the_bloc(loaded, bloc_plan):
    assert Organisation.objects.filter(kind=K.GRASSROOTS).count() == 68
    assert Organisation.objects.filter(kind=K.COMMUNE).count() == 10
    assert Member.objects.count() == len(bloc_plan.members)
    assert not Member.objects.filter(search_name="").exists()
    sample = Member.objects.get(card_number=bloc_plan.members[0].card_number)
    assert sample.full_name == bloc_plan.members[0].full_name
    assert sample.workplace_org.code == bloc_plan.members[0].workplace
    assert sample.search_name == sample.search_name.lower() and "đ" not in sample.search_name
    root = Organisation.objects.get(code=demo_plan.ROOT_CODE)
    assert Organisation.objects.filter(path__startswith=root.path).count() == len(
        bloc_plan.organisations
    )
    sotc = Organisation.objects.get(name="Đảng bộ Sở Tài chính")
    assert sotc.path.startswith(root.path) and sotc.depth == 2
    assert AuditEntry.objects.filter(action="demo.load", target_id=str(root.pk)).count() == 1
    areas = ResidenceArea.objects.filter(cell__path__startswith=root.path)
    assert areas.count() == sum(len(o.areas) for o in bloc_plan.organisations)
    assert not areas.filter(search_name="").exists()
    for username in ("khoi", "coquan", "phuong", "chibo", "dangvien", "admin"):
        assert re.search(rf"^\s+{username}\s", loaded, re.M)
    assert "partyreg-demo" in loaded


def test_second_run_adds_nothing(loaded):
    before = _counts()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == before
    assert "already loaded" in out.getvalue()
    with pytest.raises(demo_plan.DemoAlreadyLoaded):
        tree.load(demo_plan.generate("bloc"))
    assert _counts() == before


def test_logins_work_with_the_demo_password(loaded, client):
    for username in ("khoi", "coquan", "phuong", "chibo", "dangvien", "admin"):
        client.logout()
        response = client.post(
            reverse("login"), {"username": username, "password": demo_plan.DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        assert client.session.get("_auth_user_id"), username
    client.logout()
    response = client.post(reverse("login"), {"username": "khoi", "password": "wrong"})
    assert response.status_code == 200 and not client.session.get("_auth_user_id")


def test_logins_have_the_right_roles(loaded):
    User = get_user_model()
    users = {u.username: u for u in User.objects.all()}

    def roles(username):
        return [(r.kind, r.organisation) for r in Role.objects.filter(user=users[username])]

    bloc = Organisation.objects.get(name="Đảng bộ Khối các cơ quan tỉnh")
    sotc = Organisation.objects.get(name="Đảng bộ Sở Tài chính")
    assert roles("khoi") == [(Role.Kind.STAFF, bloc)]
    assert roles("coquan") == [(Role.Kind.SECRETARY, sotc)]
    [(kind, commune)] = roles("phuong")
    assert kind == Role.Kind.OFFICER and commune.kind == K.COMMUNE
    [(kind, residence_cell)] = roles("chibo")
    assert kind == Role.Kind.SECRETARY and residence_cell.kind == K.RESIDENCE_CELL
    assert residence_cell.parent == commune
    assert roles("dangvien") == [] and roles("admin") == []
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not any(users[u].is_staff for u in ("khoi", "coquan", "phuong", "chibo", "dangvien"))
    assert users["khoi"].get_full_name() == "Lê Thị Thu Hà"

    member = users["dangvien"].member
    assert member.workplace_org.path.startswith(sotc.path)
    assert member.residence_commune == commune
    assert users["dangvien"].get_full_name() == member.full_name
    # phuong's commune is where most of coquan's members live.
    sotc_members = Member.objects.filter(workplace_org__path__startswith=sotc.path)
    top = Counter(sotc_members.values_list("residence_commune", flat=True)).most_common(1)[0][0]
    assert top == commune.pk


def test_dangvien_sees_only_themself(loaded, login):
    user = get_user_model().objects.get(username="dangvien")
    assert list(members_visible_to(user)) == [user.member]
    client = login(user)
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302
    assert response.url == reverse("members:member_detail", args=[user.member.pk])
    other = Member.objects.exclude(pk=user.member.pk).first()
    assert client.get(reverse("members:member_detail", args=[other.pk])).status_code == 404


def test_bloc_staff_sees_the_whole_bloc(loaded):
    khoi = get_user_model().objects.get(username="khoi")
    assert members_visible_to(khoi).count() == Member.objects.count()
