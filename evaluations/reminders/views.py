"""The page where a committee switches reminder rules off (or back on) for its subtree."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from partyreg.web import parse_id

from . import scan as reminders
from . import switches


@login_required
def reminder_settings(request):
    organisations = switches.organisations_for_settings(request.user)
    if not organisations:
        raise Http404
    chosen = request.POST.get("organisation") or request.GET.get("organisation")
    if chosen:
        # An organisation the user does not act for is answered like one that does not exist,
        # never silently swapped for another (a POST would change the wrong organisation).
        chosen_id = parse_id(chosen)
        organisation = next((o for o in organisations if o.pk == chosen_id), None)
        if organisation is None:
            raise Http404
    else:
        organisation = organisations[0]
    if request.method == "POST":
        enabled = {rule: request.POST.get(rule) == "on" for rule in reminders.RULES}
        try:
            changed = reminders.reminder_settings_save(
                actor=request.user, organisation=organisation, enabled=enabled
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            if changed:
                messages.success(
                    request,
                    _("Reminders of %(org)s and the organisations below it are saved.")
                    % {"org": organisation},
                )
            else:
                messages.info(request, _("Nothing changed."))
        return redirect(f"{reverse('reminder_settings')}?organisation={organisation.pk}")
    effective = reminders.reminder_settings_effective(organisation)
    rules = [(code, label, effective[code]) for code, label in reminders.RULE_LABELS.items()]
    return render(
        request,
        "notifications/reminder_settings.html",
        {"organisations": organisations, "organisation": organisation, "rules": rules},
    )
