from django.urls import path

from . import views
from .meetings import urls as meeting_urls

app_name = "residence"

urlpatterns = [
    path("", views.index, name="index"),
    path("referrals/<str:side>/", views.referral_list, name="referral_list"),
    path("referrals/<str:side>/bulk/", views.referral_bulk, name="referral_bulk"),
    path("referral/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referral/<int:pk>/receive/", views.referral_receive, name="referral_receive"),
    path("referral/<int:pk>/assign/", views.referral_assign, name="referral_assign"),
    path("referral/<int:pk>/report/", views.referral_report, name="referral_report"),
    path("referral/<int:pk>/close/", views.referral_close, name="referral_close"),
    path("referral/<int:pk>/letter.pdf", views.referral_letter, name="referral_letter"),
    path("letters.pdf", views.referral_letters, name="referral_letters"),
    path("issue/", views.referral_issue_many, name="referral_issue_many"),
    path("members/<int:member_pk>/issue/", views.referral_issue, name="referral_issue"),
    path("members/<int:member_pk>/change/", views.change_record, name="change_record"),
    path("notices/<str:side>/", views.notice_list, name="notice_list"),
    path("notice/<int:pk>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
]
urlpatterns += meeting_urls.urlpatterns
