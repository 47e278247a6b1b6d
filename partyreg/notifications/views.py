"""The bell and the notification list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..forms import NotificationPreferenceForm
from ..models import Notification
from ..web import apply_validation_error
from . import delivery as notifications
from . import preferences

NOTIFICATIONS_PER_PAGE = 30


@login_required
@never_cache
def notification_badge(request):
    """The bell's count, fetched by htmx after the page, so no page pays a query for it."""
    return render(
        request,
        "notifications/badge.html",
        {"unread": notifications.unread_count(request.user)},
    )


@login_required
def notification_list(request):
    show = request.GET.get("show")
    queryset = notifications.notification_list(request.user)
    if show == "unread":
        queryset = queryset.filter(read_at__isnull=True)
    page = Paginator(queryset, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/notification_list.html",
        {
            "page": page,
            "show": show,
            "query": "show=unread" if show == "unread" else "",
            "unread": notifications.unread_count(request.user),
        },
    )


@login_required
def notification_open(request, pk: int):
    """Marks the notification read and goes to the thing to do."""
    try:
        notification = notifications.notification_open(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as error:
        raise Http404 from error
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = reverse("notification_list")
    return redirect(target)


@login_required
@require_POST
def notification_mark_all_read(request):
    count = notifications.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notification_list")


@login_required
@require_POST
def notification_send_test(request):
    notifications.notification_send_test(user=request.user)
    if request.user.email:
        messages.success(
            request,
            _("A test message is on its way to %(email)s and under the bell.")
            % {"email": request.user.email},
        )
    else:
        messages.success(
            request,
            _(
                "A test message is under the bell. No email was sent: your account has no "
                "email address."
            ),
        )
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    """The user's own choice of notification email, on their account menu."""
    form = NotificationPreferenceForm(
        request.POST or None, initial={"email": preferences.email_choice(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            preference = preferences.notification_preference_save(
                user=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Saved: %(choice)s.") % {"choice": preference.get_email_display().lower()},
            )
            return redirect("notification_preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "email": request.user.email},
    )
