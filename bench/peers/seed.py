"""Migrate one contender's database and seed it: N active users, each with a confirmed
authenticator-app (TOTP) device of its own secret (secret_of), the same password hash for all.

    DJANGO_SETTINGS_MODULE=bench.peers.<contender> python -m bench.peers.seed N
"""

import base64
import hashlib
import sys

PASSWORD = "correct horse battery staple"


def secret_of(i: int) -> bytes:
    """User i's TOTP secret (20 bytes), the same for every contender; run.py computes the codes."""
    return hashlib.sha1(f"peers-bench-{i}".encode()).digest()


def username_of(i: int) -> str:
    return f"user{i}@bench.example"


def main(n: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    if User.objects.count() >= n:
        print(f"{settings.CONTENDER}: {n} users already seeded", file=sys.stderr)
        return
    User.objects.all().delete()
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [User(username=username_of(i), email=username_of(i), password=password) for i in range(n)],
        batch_size=2000,
    )
    now = timezone.now()
    devices = {"portal": _portal, "allauth": _allauth, "two_factor": _two_factor}
    devices[settings.CONTENDER](users, now)
    call_command("migrate", interactive=False, verbosity=0)  # nothing left: keeps checks quiet
    print(f"{settings.CONTENDER}: seeded {n} users", file=sys.stderr)


def _portal(users, now):
    from portal2fa.twofactor.machinery import keys
    from portal2fa.twofactor.models import Authenticator, TwoFactorSettings

    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    Authenticator.objects.bulk_create(
        [
            Authenticator(
                user=user,
                encrypted_secret=keys.encrypt_secret(base64.b32encode(secret_of(i)).decode()),
                created_at=now,
                confirmed_at=now,
            )
            for i, user in enumerate(users)
        ],
        batch_size=2000,
    )


def _allauth(users, now):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    Authenticator.objects.bulk_create(
        [
            Authenticator(
                user=user,
                type=Authenticator.Type.TOTP,
                data={"secret": encrypt(base64.b32encode(secret_of(i)).decode())},
            )
            for i, user in enumerate(users)
        ],
        batch_size=2000,
    )


def _two_factor(users, now):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name="default", key=secret_of(i).hex(), confirmed=True)
            for i, user in enumerate(users)
        ],
        batch_size=2000,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
