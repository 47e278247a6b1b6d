"""The signatures page of a sheet or letter, its actions, its signed file, and the verification
page its QR code opens.

The signatures page is for those who may see the document's record (404 to others): each place
to sign with its committee, each signature of the kept file checked (signer, role, committee,
time, valid or not and why), the committee's way to sign (with the site's key, or by uploading
the file it signed outside), and a form that checks any PDF against the record.

The verification page (``sheet_verify``, the URL every printed QR code carries) sends those who
may see the record to its signatures page. Anyone else holding the code, logged in or not, sees
whether the document's signatures hold, and can check a file, without a name or an organisation
on the page. A code of a sheet that was never signed keeps its old behaviour: the record for
those who may see it, 404 to others, the login page to anonymous users.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.services import member_views_record
from partyreg.web import pdf_response, refusal

from ..printing.selectors import request_for_code
from . import selectors, services
from .forms import PdfForm, UploadForm
from .kinds import DOCUMENT_TYPES, document_type


def _load(request, kind: str, pk: int):
    doc_type = document_type(kind)
    return doc_type, doc_type.load(request.user, pk)


def _url(name: str, kind: str, pk: int) -> str:
    return reverse(f"evaluations:{name}", args=[kind, pk])


def _page(request, kind: str, pk: int, *, check=None, check_form=None):
    doc_type, subject = _load(request, kind, pk)
    document = selectors.live_document(subject)
    checks = []
    if document is not None:
        checks = services.document_verify_kept(
            actor=request.user, document=document, subject=subject
        )
    return render(
        request,
        "evaluations/signatures/document.html",
        {
            "doc_type": doc_type,
            "kind": kind,
            "subject": subject,
            "title": doc_type.describe(subject),
            "record_url": doc_type.record_url(subject),
            "document": document,
            "slots": selectors.slot_states(doc_type, subject, document, request.user),
            "checks": checks,
            "check": check,
            "check_form": check_form or PdfForm(action=_url("signed_document_check", kind, pk)),
            "upload_action": _url("signed_document_upload", kind, pk),
            "sign_action": _url("signed_document_sign", kind, pk),
            "history": selectors.signature_history(subject),
        },
    )


@login_required
def document_page(request, kind: str, pk: int):
    return _page(request, kind, pk)


def _slot_name(request, doc_type) -> str | None:
    name = request.POST.get("slot", "")
    return name if doc_type.has_slot(name) else None


@login_required
@require_POST
def document_sign(request, kind: str, pk: int):
    """Signs a place of the document with the committee's key (or, for a committee that signs
    outside the site, keeps the document to download)."""
    doc_type, subject = _load(request, kind, pk)
    back = _url("signed_document", kind, pk)
    slot = _slot_name(request, doc_type)
    if slot is None:
        messages.error(request, _("Choose the place of the document to sign."))
        return redirect(back)
    try:
        services.document_sign_now(
            actor=request.user, doc_type=doc_type, subject=subject, slot_name=slot
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("Done: the document is signed, or ready to download and sign."))
    return redirect(back)


@login_required
@require_POST
def document_upload(request, kind: str, pk: int):
    """Takes the document back signed outside the site."""
    doc_type, subject = _load(request, kind, pk)
    back = _url("signed_document", kind, pk)
    form = UploadForm(request.POST, request.FILES)
    slot = _slot_name(request, doc_type)
    if not form.is_valid() or slot is None:
        messages.error(
            request, " ".join(form.errors.get("file", [])) or _("Choose the signed file.")
        )
        return redirect(back)
    try:
        services.document_upload(
            actor=request.user,
            doc_type=doc_type,
            subject=subject,
            slot_name=slot,
            upload=form.cleaned_data["file"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, _("The signed file was accepted: the signature is valid."))
    return redirect(back)


@login_required
@require_POST
def document_check(request, kind: str, pk: int):
    """Checks an uploaded PDF against the record: is it the document issued, unaltered?"""
    doc_type, subject = _load(request, kind, pk)
    document = selectors.live_document(subject)
    form = PdfForm(request.POST, request.FILES, action=_url("signed_document_check", kind, pk))
    if document is None:
        messages.error(request, _("This document has not been kept for signing."))
        return redirect(_url("signed_document", kind, pk))
    if not form.is_valid():
        return _page(request, kind, pk, check_form=form)
    check = services.document_check(
        actor=request.user, document=document, subject=subject, upload=form.cleaned_data["file"]
    )
    return _page(request, kind, pk, check=check, check_form=form)


@login_required
def document_pdf(request, kind: str, pk: int):
    """The document as kept, with its signatures: the electronic original."""
    doc_type, subject = _load(request, kind, pk)
    document = selectors.live_document(subject)
    if document is None:
        raise Http404
    member_views_record(
        user=request.user, members=[doc_type.member(subject)], via=doc_type.viewed_via
    )
    return pdf_response(bytes(document.pdf), doc_type.filename(subject))


# --- The verification page of the QR code ---------------------------------------------------


def sheet_verify(request, code: str):
    document = selectors.document_for_code(code)
    if document is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return redirect("evaluations:request_detail", pk=request_for_code(request.user, code).pk)
    doc_type = DOCUMENT_TYPES[document.kind]
    if request.method == "GET" and request.user.is_authenticated:
        try:
            doc_type.load(request.user, document.subject_id)
        except Http404:
            pass
        else:
            return redirect("evaluations:signed_document", doc_type.kind, document.subject_id)
    subject = document.subject
    form = PdfForm(request.POST or None, request.FILES or None, action=request.path)
    check = None
    if request.method == "POST" and form.is_valid():
        check = services.document_check(
            actor=request.user, document=document, subject=subject, upload=form.cleaned_data["file"]
        )
    checks = services.document_verify_kept(actor=request.user, document=document, subject=subject)
    return render(
        request,
        "evaluations/signatures/verify.html",
        {
            "doc_type": doc_type,
            "document": document,
            "checks": checks,
            "check": check,
            "check_form": form,
        },
    )
