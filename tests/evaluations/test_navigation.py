"""Each role's menu: only places the role can use, every link answering; Vietnamese error pages;
the administration in Vietnamese."""

import re

import pytest
from django.db import transaction
from django.test import override_settings

from tests.security.test_url_walk import logged_in
from tests.security.walk_world import ROLE_NAMES, build_shared, build_tree

NAV = re.compile(r'<ul class="navbar-nav me-auto">(.*?)</ul>', re.S)
LINK = re.compile(r'<a class="nav-link[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>')

# What each role's menu offers, in order (Vietnamese labels as a secretary reads them).
MENUS = {
    "dangvien": ["Trang chủ", "Hồ sơ cá nhân", "Lịch sinh hoạt"],
    "coquan": [
        "Trang chủ",
        "Đảng viên",
        "Tổ chức đảng",
        "Giấy giới thiệu",
        "Buổi sinh hoạt",
        "Nhận xét",
        "Tình hình thực hiện",
    ],
    "chibo": [
        "Trang chủ",
        "Đảng viên",
        "Tổ chức đảng",
        "Giấy giới thiệu",
        "Buổi sinh hoạt",
        "Nhận xét",
        "Tình hình thực hiện",
    ],
}


@pytest.fixture(scope="module")
def tree(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("nav-media")),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        province, admin = build_shared()
        yield build_tree("A", province, admin)
        transaction.set_rollback(True)


def menu_of(client) -> list[tuple[str, str]]:
    page = client.get("/").content.decode()
    (nav,) = NAV.findall(page)
    return [(href, label.strip()) for href, label in LINK.findall(nav)]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_menu_link_answers_for_its_role(role, tree, db):
    client = logged_in(tree.users[role])
    items = menu_of(client)
    assert items, role
    for href, label in items:
        response = client.get(href, follow=True)
        assert response.status_code == 200, (role, label, href, response.redirect_chain)
        assert response.redirect_chain[-1:] != [("/", 302)] or href == "/", (role, label)


@pytest.mark.parametrize("role", sorted(MENUS))
def test_each_role_sees_its_own_menu(role, tree, db):
    assert [label for _href, label in menu_of(logged_in(tree.users[role]))] == MENUS[role]


def test_the_reminder_settings_link_only_for_roles_that_may_change_them(tree, db):
    for role, shown in (("coquan", True), ("khoi", False), ("dangvien", False)):
        page = logged_in(tree.users[role]).get("/notifications/").content.decode()
        assert ("/reminders/settings/" in page) is shown, role


def test_a_missing_page_answers_in_vietnamese_in_the_site_layout(tree, db):
    response = logged_in(tree.users["coquan"]).get("/khong-co-trang-nay/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Trang này không có hoặc đồng chí không có quyền xem" in page
    assert "Not Found" not in page
    assert 'class="navbar-nav me-auto"' in page  # the site's own menu


def test_the_administration_speaks_vietnamese_and_greets_by_the_given_name(tree, db):
    admin = tree.users["admin"]
    admin.first_name, admin.last_name = "Bùi Minh", "Khoa"
    admin.save()
    page = logged_in(admin).get("/admin/").content.decode()
    assert "Chào đồng chí <strong>Khoa</strong>." in page
    for english in ("Axes", "AXES", "Access attempts", "OTP_TOTP", "TOTP devices", "Bùi Minh"):
        assert english not in page, english
    for vietnamese in ("Bảo vệ đăng nhập", "Đăng nhập hai lớp", "Ứng dụng xác thực"):
        assert vietnamese in page, vietnamese
