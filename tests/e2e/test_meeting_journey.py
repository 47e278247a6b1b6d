"""A residence meeting as people run it, on a phone-sized screen: schedule, announce an absence,
mark the list with a few taps, confirm, and see it locked."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from residence.meetings.models import Attendance, Meeting
from tests.residence.meetings.setup import assign, cell_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
A = Attendance.Status


def test_schedule_mark_on_a_phone_confirm_and_see_it_locked(
    world, page, live_server, log_in, shot, settings
):
    base = live_server.url
    assign(world, world.member)
    hoa = cell_member(world, "Trần Thị Hoa")
    duc = cell_member(world, "Lê Văn Đức")

    # The cell secretary schedules the meeting; the assigned members are invited.
    log_in(page, "chibo")
    page.goto(f"{base}/residence/meetings/")
    expect(page).to_have_url(re.compile(rf"/residence/meetings/cell/{world.residence_cell.pk}/$"))
    expect(page.locator("#held-count")).to_contain_text("Held 0 of 2")
    shot(page, "meeting_01_cell")
    page.get_by_role("link", name="Schedule a meeting").click()
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_label("Time").fill("19:30")
    page.get_by_label("Place").fill("Nhà văn hóa tổ dân phố 5")
    page.get_by_label("Agenda").fill("Thông báo tình hình địa phương\nLấy ý kiến đảng viên")
    shot(page, "meeting_02_schedule")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("3 members invited")
    shot(page, "meeting_03_scheduled")
    meeting = Meeting.objects.get()

    # A member says in advance they will be absent.
    log_in(page, "dangvien")
    page.goto(f"{base}/residence/meetings/")
    expect(page.locator("h1")).to_have_text("My invitations")
    page.get_by_label("Cannot come? Tell the secretary why").fill("Đi công tác Hà Nội")
    page.get_by_role("button", name="I will be absent").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("will be absent")
    shot(page, "meeting_04_member_absence")

    # The secretary marks the list: everyone present with one tap, then the exceptions.
    log_in(page, "chibo")
    page.goto(f"{base}/residence/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Record attendance").click()
    an_row = page.get_by_role("radiogroup", name="Nguyễn Văn An")
    expect(an_row.get_by_label("Absent with reason")).to_be_checked()
    expect(page.get_by_label("Reason for Nguyễn Văn An")).to_have_value("Đi công tác Hà Nội")
    shot(page, "meeting_05_mark_before")
    page.get_by_role("button", name="Mark all present").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("3 marks changed")
    expect(
        page.get_by_role("radiogroup", name="Trần Thị Hoa").get_by_label("Present")
    ).to_be_checked()
    page.get_by_role("radiogroup", name="Lê Văn Đức").get_by_text("Absent without reason").click()
    expect(page.get_by_label("Reason for Lê Văn Đức")).to_be_hidden()
    expect(
        page.get_by_role("radiogroup", name="Lê Văn Đức").get_by_label("Absent without reason")
    ).to_be_checked()
    page.wait_for_timeout(300)  # let the buttons' colour transition finish before the shot
    shot(page, "meeting_06_mark_after")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("1 marks changed")

    # Confirm: the list locks.
    shot(page, "meeting_07_before_confirm")
    # The site asks once what locking means; the secretary agrees.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Confirm the list").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("confirmed and now locked")
    assert questions and "correction" in questions[0]
    expect(page.locator("#locked-note")).to_be_visible()
    expect(page.get_by_role("link", name="Record attendance")).to_have_count(0)
    shot(page, "meeting_08_locked")
    statuses = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    assert statuses == {world.member.pk: A.EXCUSED, hoa.pk: A.PRESENT, duc.pk: A.UNEXCUSED}
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.CONFIRMED

    # The marking page of a locked list sends back to the meeting.
    page.goto(f"{base}/residence/meetings/{meeting.pk}/attendance/")
    expect(page).to_have_url(re.compile(rf"/residence/meetings/{meeting.pk}/$"))
    page.goto(f"{base}/residence/meetings/cell/{world.residence_cell.pk}/")
    expect(page.locator("#held-count")).to_contain_text("Held 1 of 2")
    shot(page, "meeting_09_cell_after")
