# The reminder switches now belong to evaluations (evaluations 0004 takes the model over with
# its table): only Django's record of the model is removed here, never the table.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_member_view"),
        ("evaluations", "0004_organisation_reminder_setting"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OrganisationReminderSetting")],
            database_operations=[],
        ),
    ]
