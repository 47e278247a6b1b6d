"""Two-factor login with a time-based code (TOTP, django-otp).

Every user may enrol an authenticator app from the account menu. Users the policy names
(``settings.PARTYREG_TWO_FACTOR_POLICY``: site administrators and supervising staff) must: after
the password they reach nothing but the code page (or the enrolment page, when they have no
device yet) and logout. The policy is asked on every request of a session that has not shown a
code, so a role granted while signed in asks for the code at once; it reads the user's roles,
which the request's own scoping loads anyway (``members.scoping.user_roles``, once per request).
A user who turned two-factor login on is asked at login (kept in the session); a verified
session carries the device's id, as django-otp's own ``login`` leaves it.
"""

import base64
import re
from io import BytesIO

import django_otp
import qrcode
import qrcode.image.svg
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .web import next_path

# "required": this session must show a code before anything else; "optional": it need not.
SESSION_KEY = "partyreg_two_factor"
DEVICE_NAME = "authenticator"


def policy_requires(user) -> bool:
    return import_string(settings.PARTYREG_TWO_FACTOR_POLICY)(user)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def session_needs_code(user) -> bool:
    return policy_requires(user) or confirmed_device(user) is not None


def is_verified(request) -> bool:
    return DEVICE_ID_SESSION_KEY in request.session


@receiver(user_logged_in, dispatch_uid="partyreg.twofactor.decide")
def _decide_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = "required" if session_needs_code(user) else "optional"


def mark_verified(request, device: TOTPDevice) -> None:
    """The session has shown a code of ``device``; a new session key, as after a login."""
    request.session.cycle_key()
    django_otp.login(request, device)


def client_mark_verified(client, user) -> TOTPDevice:
    """For tests and benchmarks: a test client logged in with ``force_login`` counts as having
    shown a code (the user gets a confirmed device when they have none)."""
    device = confirmed_device(user) or totp_device_create(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_KEY] = "required"
    session.save()
    return device


# --- services --------------------------------------------------------------------------------


@transaction.atomic
def totp_device_create(*, user, confirmed: bool = False, key: str | None = None) -> TOTPDevice:
    """A new (unconfirmed unless told) device; the user's unconfirmed ones are replaced."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=confirmed)
    if key:
        device.key = key
    device.save()
    if confirmed:
        audit_record(actor=user, action="two_factor.enrol", target=user, note=DEVICE_NAME)
    return device


@transaction.atomic
def totp_device_confirm(*, user, device: TOTPDevice, token: str) -> TOTPDevice:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed:
        raise ValidationError(_("This authenticator is already set up."))
    if not device.verify_token(token):
        raise ValidationError(_("The code does not match. Type the six digits the app shows now."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="two_factor.enrol", target=user, note=device.name)
    return device


def totp_verify(*, user, token: str) -> TOTPDevice:
    """The user's confirmed device that accepts ``token``; throttled after wrong codes."""
    device = confirmed_device(user)
    if device is None:
        raise ValidationError(_("You have no authenticator yet: set one up first."))
    # The wrong code's count must be committed: refuse only after the transaction, or the
    # rollback would undo the throttling.
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _details = device.verify_is_allowed()
        verified = allowed and device.verify_token(token)
    if not allowed:
        raise ValidationError(
            _("Too many wrong codes. Wait a minute, then type the code the app shows now.")
        )
    if not verified:
        raise ValidationError(_("The code does not match. Type the six digits the app shows now."))
    return device


# --- forms and views -------------------------------------------------------------------------


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": "[0-9 ]*",
            }
        ),
    )

    def __init__(self, *args, submit_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", submit_label, css_class="w-100"))

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        # ASCII digits: isdigit() also takes "²", which no authenticator shows.
        if not re.fullmatch(r"[0-9]{6}", token):
            raise ValidationError(_("Type the six digits the app shows, without letters."))
        return token


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    return next_path(request, candidate, reverse(settings.LOGIN_REDIRECT_URL))


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _qr_data_uri(text: str) -> str:
    buffer = BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@login_required
def two_factor_verify(request):
    if is_verified(request):
        return redirect(_next_url(request))
    if confirmed_device(request.user) is None:
        return redirect(_with_next("two_factor_setup", _next_url(request)))
    form = TokenForm(request.POST or None, submit_label=_("Continue"))
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_verify(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error("token", error)
        else:
            mark_verified(request, device)
            return redirect(_next_url(request))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
@login_required
def two_factor_setup(request):
    """Enrol an authenticator. Someone who already has one must show its code first: a stolen
    password alone must not be enough to add a second device."""
    has_device = confirmed_device(request.user) is not None
    if has_device and not is_verified(request):
        return redirect(_with_next("two_factor_verify", reverse("two_factor_setup")))
    if has_device:
        return render(request, "registration/two_factor_setup.html", {"enrolled": True})
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False
    ).first() or totp_device_create(user=request.user)
    form = TokenForm(request.POST or None, submit_label=_("Turn on two-factor login"))
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_device_confirm(
                user=request.user, device=device, token=form.cleaned_data["token"]
            )
        except ValidationError as error:
            form.add_error("token", error)
        else:
            mark_verified(request, device)
            request.session[SESSION_KEY] = "required"
            messages.success(
                request, _("Two-factor login is on: from now on you will be asked for a code.")
            )
            return redirect(_next_url(request))
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
            "next": _next_url(request),
            "required": policy_requires(request.user),
        },
    )


# --- middleware ------------------------------------------------------------------------------


class TwoFactorRequiredMiddleware:
    """A session that must show a code reaches only the code pages, logout and static files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not is_verified(request):
            decision = request.session.get(SESSION_KEY)
            if decision is None:
                # A session from before two-factor login existed: decide now, once.
                decision = "required" if session_needs_code(user) else "optional"
                request.session[SESSION_KEY] = decision
            elif decision != "required" and policy_requires(user):
                # A role or the admin flag granted since login: the policy, not the login,
                # decides.
                decision = request.session[SESSION_KEY] = "required"
            if decision == "required" and not self._allowed(request.path_info):
                if request.headers.get("HX-Request"):
                    # A fragment a code page fetches (the bell): nothing until the code, and
                    # never the code page itself swapped into the navigation bar.
                    return HttpResponse(status=204)
                target = "two_factor_verify" if confirmed_device(user) else "two_factor_setup"
                return redirect(_with_next(target, request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        allowed = (
            reverse("two_factor_verify"),
            reverse("two_factor_setup"),
            reverse("logout"),
            "/" + settings.STATIC_URL.lstrip("/"),
        )
        return path.startswith(allowed)
