from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations.demo.plan import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = _(
        "Prints the current two-factor code of a demo login (khoi, admin). Works only for "
        "devices holding the published demo secret, never for a real user's."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True, key=DEMO_TOTP_KEY).first()
            if user
            else None
        )
        if device is None:
            raise CommandError(
                _("“%(username)s” has no demo authenticator: load the demo data with load_demo.")
                % {"username": username}
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
