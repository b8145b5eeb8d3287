"""Seed a demo portal: roles of every type, about 300 users in every state, some low on codes,
and a few "desk" users you can sign in as without a phone.

Idempotent: if the demo administrator exists, nothing is written. `reset_demo()` empties the demo
data first (`make demo-reset`), leaving the virtualenv and the key file alone.

Demo TOTP secrets (and the desk users' backup codes) are not random: they are derived from this
installation's PORTAL2FA_HASH_KEY and the email, so the demo can print them again at any time
(`oathtool --totp -b KEY`) and they survive a demo reset. Real enrollments use random secrets.
"""

import base64
import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .accounts.models import RoleType, SecurityRole, User
from .audit.models import AuditEvent
from .twofactor.conf import setting
from .twofactor.core import backup_codes, totp
from .twofactor.machinery import counters, keys
from .twofactor.models import (
    Authenticator,
    BackupCode,
    SignInChallenge,
    ThrottleEvent,
    ThrottleKey,
    TwoFactorSettings,
)

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


@dataclass(frozen=True)
class DeskUser:
    email: str
    name: str
    role: str
    state: str  # "enrolled" or "not_started"
    codes_left: int = 10
    how: str = ""


DESK_USERS = [
    DeskUser(
        "erin.enrolled@example.com",
        "Erin Enrolled",
        "Support Staff",
        "enrolled",
        how="Enrolled: sign in with a code from `oathtool --totp -b KEY`.",
    ),
    DeskUser(
        "lars.lowcodes@example.com",
        "Lars Lowcodes",
        "Engineering",
        "enrolled",
        codes_left=1,
        how="Enrolled, one backup code left (printed below): try it, then regenerate.",
    ),
    DeskUser(
        "nina.newstart@example.com",
        "Nina Newstart",
        "Support Staff",
        "not_started",
        how="Not Started, role requires 2FA: enrolls at sign-in (use the key the page shows).",
    ),
    DeskUser(
        "olly.optional@example.com",
        "Olly Optional",
        "Customer",
        "not_started",
        how="Role without 2FA: password only; may enroll from the Two-factor page.",
    ),
]


def _derived(purpose: str, email: str) -> bytes:
    key = setting("PORTAL2FA_HASH_KEY").encode("utf-8")
    return hmac.new(
        key, f"portal2fa-demo\x1f{purpose}\x1f{email}".encode(), hashlib.sha256
    ).digest()


def demo_secret(email: str) -> str:
    """The demo TOTP secret of `email`: 160 bits derived from this installation's hash key."""
    return base64.b32encode(_derived("totp", email)[:20]).decode("ascii")


def demo_backup_codes(email: str, count: int = 10) -> list[str]:
    """The desk users' backup codes, derived like their secrets (so they can be printed again)."""
    stream = b"".join(_derived(f"codes-{i}", email) for i in range(count))
    alphabet = backup_codes.ALPHABET
    codes = [
        "".join(alphabet[b % len(alphabet)] for b in stream[i * 32 : i * 32 + backup_codes.LENGTH])
        for i in range(count)
    ]
    return codes


def reset_demo() -> None:
    """Empty the demo data (users, roles but the built-in Administrator, authenticators, codes,
    audit trail, throttles, sessions) and the policy row, so seed_demo() starts over. Refuses a
    database that is not a demo one (users but no demo administrator)."""
    from django.contrib.sessions.models import Session

    if User.objects.exists() and not User.objects.filter(email__iexact=DEMO_ADMIN_EMAIL).exists():
        raise RuntimeError(
            "This database is not a demo portal's (no demo administrator): left as it is."
        )
    with transaction.atomic():
        AuditEvent.objects.all().delete()
        SignInChallenge.objects.all().delete()
        ThrottleEvent.objects.all().delete()
        ThrottleKey.objects.all().delete()  # the lock anchors of the throttle keys
        Session.objects.all().delete()
        User.objects.all().delete()  # cascades to authenticators and backup codes
        SecurityRole.objects.filter(grants_setup=False).delete()
        TwoFactorSettings.objects.filter(pk=1).delete()
        TwoFactorSettings.objects.create(pk=1)


def seed_demo(*, seed: int = 2026) -> bool:
    if User.objects.canonical(DEMO_ADMIN_EMAIL) is not None:
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
                # The demo shows every method (fresh installs start with them off).
                "email_codes_allowed": True,
                "passkeys_allowed": True,
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
        by_name = {role.name: role for role in roles}
        for desk in DESK_USERS:
            _desk_user(desk, by_name[desk.role], password_hash, now)
        counters.rebuild()  # the bulk writes above skip the services that keep the counters
    return True


def _desk_user(desk: DeskUser, role, password_hash: str, now) -> None:
    user = User.objects.create(
        email=desk.email, full_name=desk.name, role=role, password=password_hash
    )
    if desk.state != "enrolled":
        return
    enrolled_at = now - timedelta(days=7)
    authenticator = Authenticator.objects.create(
        user=user,
        encrypted_secret=keys.encrypt_secret(demo_secret(desk.email)),
        created_at=enrolled_at - timedelta(minutes=3),
        confirmed_at=enrolled_at,
        user_active=True,
        backup_codes_remaining=desk.codes_left,
        backup_codes_issued=10,
    )
    codes = demo_backup_codes(desk.email)
    BackupCode.objects.bulk_create(
        BackupCode(
            authenticator=authenticator,
            digest=keys.backup_code_digest(code),
            used_at=None if i < desk.codes_left else enrolled_at + timedelta(days=1),
        )
        for i, code in enumerate(codes)
    )


def desk_instructions() -> list[str]:
    """Who you can sign in as at a desk, and how: printed by `portal2fa demo`."""
    lines = []
    for desk in DESK_USERS:
        lines.append(f"  {desk.email:<28} {desk.how}")
        if desk.state == "enrolled":
            key = totp.group_secret(demo_secret(desk.email))
            lines.append(f"  {'':<28}   key: {key}")
            lines.append(f"  {'':<28}   oathtool --totp -b {demo_secret(desk.email)}")
            if desk.codes_left < 10:
                left = demo_backup_codes(desk.email)[: desk.codes_left]
                shown = ", ".join(backup_codes.display(code) for code in left)
                lines.append(f"  {'':<28}   backup code: {shown}")
    return lines


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
        encrypted_secret=keys.encrypt_secret(demo_secret(user.email)),
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
