# The reminder switches move here from members, beside the rules they switch. The table stays
# as it is (members_organisationremindersetting): only Django's record of the model moves.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0003_answer_level_draft"),
        ("members", "0004_member_view"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OrganisationReminderSetting",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("rule", models.CharField(max_length=32, verbose_name="reminder")),
                        ("enabled", models.BooleanField(default=True, verbose_name="enabled")),
                        (
                            "updated_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="changed at"
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminder_settings",
                                to="members.organisation",
                                verbose_name="organisation",
                            ),
                        ),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "reminder setting",
                        "verbose_name_plural": "reminder settings",
                        "db_table": "members_organisationremindersetting",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("organisation", "rule"),
                                name="reminder_setting_once_per_rule",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
