from django.urls import path

from . import review, views
from .dashboard import urls as dashboard_urls
from .printing import urls as printing_urls
from .signatures import urls as signature_urls

app_name = "evaluations"

urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/request/", views.request_create, name="request_create"),
    path("inbox/", views.inbox, name="inbox"),
    path("cells/<int:cell_pk>/sittings/new/", views.sitting_create, name="sitting_create"),
    path("cells/<int:cell_pk>/certify/", review.certify_cell, name="certify_cell"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/comment/", views.comment_edit, name="comment_edit"),
    path("requests/<int:pk>/certify/", review.comment_certify, name="comment_certify"),
    path("requests/<int:pk>/compare/", review.comment_compare, name="comment_compare"),
    path("requests/<int:pk>/return/", review.comment_return, name="comment_return"),
    path("requests/<int:pk>/grade/", views.grade_record, name="grade_record"),
]
urlpatterns += dashboard_urls.urlpatterns + printing_urls.urlpatterns + signature_urls.urlpatterns
