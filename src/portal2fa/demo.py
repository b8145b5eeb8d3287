"""Seed a demo portal: roles of every type, about 300 users in every state, some low on codes.

Idempotent: if the demo administrator exists, nothing is written.
"""

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .accounts.models import RoleType, SecurityRole, User
from .twofactor import backup_codes, counters, keys, totp
from .twofactor.models import Authenticator, BackupCode, TwoFactorSettings

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_PASSWORD = "demo-password-2fa"
USER_COUNT = 300

ROLES = [  # name, type, requires 2FA
    ("Support Staff", RoleType.EMPLOYEE, True),
    ("Engineering", RoleType.EMPLOYEE, True),
    ("Finance", RoleType.EMPLOYEE, False),
    ("Reseller", RoleType.PARTNER, True),
    ("Partner Portal", RoleType.PARTNER, False),
    ("Customer", RoleType.CUSTOMER, False),
    ("Auditor", RoleType.SYSTEM, False),
]
FIRST = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Nakamura",
    "Garcia",
    "Novak",
    "Haddad",
    "Moreau",
    "Schmidt",
    "Kowalski",
    "Fernandes",
    "Ivanova",
    "Brennan",
    "Mensah",
    "Rossi",
    "Tanaka",
    "Dubois",
]


def seed_demo(*, seed: int = 2026) -> bool:
    if User.objects.filter(email__iexact=DEMO_ADMIN_EMAIL).exists():
        return False
    rng = random.Random(seed)
    now = timezone.now()
    password_hash = make_password(DEMO_PASSWORD)  # one Argon2 hash shared by every demo user
    with transaction.atomic():
        TwoFactorSettings.objects.update_or_create(
            pk=1,
            defaults={
                "enabled": True,
                "enrollment_required": True,
                "issuer_name": "Portal 2FA Demo",
            },
        )
        admin_role = SecurityRole.objects.get(grants_setup=True)
        admin_role.requires_2fa = True
        admin_role.save(update_fields=["requires_2fa"])
        roles = [admin_role] + [
            SecurityRole.objects.get_or_create(
                name=name, defaults={"type": kind, "requires_2fa": required}
            )[0]
            for name, kind, required in ROLES
        ]
        User.objects.create(
            email=DEMO_ADMIN_EMAIL,
            full_name="Demo Administrator",
            role=admin_role,
            password=password_hash,
        )
        users = User.objects.bulk_create(_demo_users(rng, roles, password_hash))
        for user in users:
            _demo_enrollment(rng, user, now)
        counters.rebuild()  # the bulk writes above skip the services that keep the counters
    return True


def _demo_users(rng, roles, password_hash):
    weights = [1] + [3] * (len(roles) - 1)
    for i in range(USER_COUNT):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        yield User(
            email=f"{first}.{last}.{i}@example.com".lower(),
            full_name=f"{first} {last}",
            role=rng.choices(roles, weights)[0],
            is_active=rng.random() > 0.05,
            password=password_hash,
        )


def _demo_enrollment(rng, user, now) -> None:
    roll = rng.random()
    if roll < 0.30:
        return  # Not Started
    created = now - timedelta(days=rng.uniform(0, 60))
    authenticator = Authenticator.objects.create(
        user=user,
        encrypted_secret=keys.encrypt_secret(totp.new_secret()),
        created_at=created,
        user_active=user.is_active,
    )
    if roll < 0.45:
        return  # Pending
    remaining = rng.choice([0, 1, 2, 3] + [10] * 8)
    codes = backup_codes.generate(10)
    BackupCode.objects.bulk_create(
        BackupCode(
            authenticator=authenticator,
            digest=keys.backup_code_digest(code),
            used_at=None if i < remaining else created + timedelta(days=1),
        )
        for i, code in enumerate(codes)
    )
    Authenticator.objects.filter(pk=authenticator.pk).update(
        confirmed_at=created + timedelta(minutes=rng.randint(1, 30)),
        backup_codes_remaining=remaining,
        backup_codes_issued=10,
    )
