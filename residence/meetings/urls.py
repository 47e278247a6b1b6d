"""Residence meetings' URLs, included in the residence namespace by residence/urls.py."""

from django.urls import path

from . import reports, views

urlpatterns = [
    path("meetings/", views.meeting_index, name="meeting_index"),
    path("meetings/cell/<int:cell_pk>/", views.meeting_list, name="meeting_list"),
    path("meetings/cell/<int:cell_pk>/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/attendance/", views.attendance_mark, name="attendance_mark"),
    path("meetings/<int:pk>/confirm/", views.meeting_confirm, name="meeting_confirm"),
    path("meetings/<int:pk>/invite/", views.meeting_invite, name="meeting_invite"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/move/", views.meeting_move, name="meeting_move"),
    path("meetings/<int:pk>/attendance.pdf", views.meeting_pdf, name="meeting_pdf"),
    path(
        "meetings/attendance/<int:pk>/correct/",
        views.attendance_correct,
        name="attendance_correct",
    ),
    path("meetings/mine/", views.my_meetings, name="my_meetings"),
    path(
        "meetings/mine/<int:pk>/calendar.ics",
        views.meeting_calendar_file,
        name="meeting_calendar",
    ),
    path("meetings/mine/<int:pk>/absence/", views.absence_announce, name="absence_announce"),
    path(
        "meetings/mine/<int:pk>/absence/withdraw/",
        views.absence_withdraw,
        name="absence_withdraw",
    ),
    path("meetings/workplace/", views.workplace_attendance, name="workplace_attendance"),
    path("meetings/members/<int:member_pk>/", views.member_attendance, name="member_attendance"),
    path("meetings/members/<int:member_pk>/report/", reports.report_create, name="report_create"),
    path("meetings/reports/<str:side>/", reports.report_list, name="report_list"),
    path("meetings/reports/<int:pk>/notice.pdf", reports.report_pdf, name="report_pdf"),
    path(
        "meetings/reports/<int:pk>/acknowledge/",
        reports.report_acknowledge,
        name="report_acknowledge",
    ),
]
