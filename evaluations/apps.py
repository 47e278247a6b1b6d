from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self):
        from partyreg.templatetags.partyreg_tags import register_audit_labels

        register_audit_labels(
            actions={
                "campaign.open": _("Comment campaign opened"),
                "campaign.close": _("Comment campaign closed"),
                "comment.request": _("Comment requested"),
                "comment.draft": _("Comment draft saved"),
                "comment.submit": _("Comment submitted"),
                "comment.certify": _("Comment certified by the commune"),
                "comment.withdraw": _("Comment request withdrawn"),
                "sitting.record": _("Comment sitting recorded"),
                "grade.record": _("Year-end grade recorded"),
                "grade.change": _("Year-end grade corrected"),
                "document.keep": _("Document kept for signing"),
            },
            fields={
                "year": _("year"),
                "form": _("sheet"),
                "reason": _("reason"),
                "reason_note": _("details of the reason"),
                "sitting": _("sitting"),
                "held_on": _("held on"),
                "other_comments": _("other comments"),
                "meetings_invited": _("meetings invited to"),
                "meetings_present": _("meetings attended"),
                "meetings_excused": _("absent with reason"),
                "meetings_unexcused": _("absent without reason"),
                "similarity": _("similarity to another comment"),
                "similar_to": _("nearly the same as"),
                "level": _("grade"),
                "points": _("points"),
            },
        )
