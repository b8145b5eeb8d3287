"""2FA state. Counters and single-use guards are only changed by atomic UPDATEs (see services)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .core import reminders
from .core.deadlines import DueRule

MANAGE_PERMISSION = "twofactor.manage_two_factor"


class RoleType(models.TextChoices):
    """The Type of a Security Role, as the Overview's Roles Without 2FA shows it. The stored value is
    the English label; pages show it translated (`{% translate role.type context "role type" %}`)."""

    SYSTEM = "System", pgettext_lazy("role type", "System")
    EMPLOYEE = "Employee", pgettext_lazy("role type", "Employee")
    PARTNER = "Partner", pgettext_lazy("role type", "Partner")
    CUSTOMER = "Customer", pgettext_lazy("role type", "Customer")


def default_role_methods() -> list[str]:
    return ["email", "passkey", "sms"]


class DueRuleKind(models.TextChoices):
    """When a role that requires 2FA wants its users enrolled (core/deadlines.py)."""

    NEXT_SIGNIN = "next_signin", _("At the next sign-in")
    BY_DATE = "by_date", _("By a date")
    WITHIN_DAYS = "within_days", _("Within a number of days")


class RoleDeadlineFields(models.Model):
    """The due rule a Security Role keeps (deadlines.DueRule), for the default adapter's GroupRole
    and any host's role model: "at the next sign-in" unless said otherwise."""

    due_rule = models.CharField(
        _("Enroll"), max_length=16, choices=DueRuleKind.choices, default=DueRuleKind.NEXT_SIGNIN
    )
    due_date = models.DateField(_("Enrolled by"), null=True, blank=True)
    grace_days = models.PositiveSmallIntegerField(_("Days to enroll"), null=True, blank=True)
    snooze_limit = models.PositiveSmallIntegerField(
        _("Remind me later at most"), null=True, blank=True, help_text=_("Blank: no limit.")
    )

    class Meta:
        abstract = True

    @property
    def deadline(self) -> DueRule:
        return DueRule(
            kind=self.due_rule,
            by=self.due_date,
            days=self.grace_days,
            snooze_limit=self.snooze_limit,
        )


class GroupRole(RoleDeadlineFields):
    """What Portal 2FA keeps beside a Django Group that serves as a Security Role (the default
    adapter): its Type and whether its users must use 2FA. The host's tables are not changed;
    a group without this row is an Employee role that does not require 2FA."""

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, related_name="portal2fa_role"
    )
    type = models.CharField(max_length=20, choices=RoleType.choices, default=RoleType.EMPLOYEE)
    requires_2fa = models.BooleanField(_("Require two-factor authentication"), default=False)
    # The optional second-factor methods (methods.OPTIONAL) that count for this role's users; the
    # Authenticator App always counts. See core/methods.py for the rule across several roles.
    methods = models.JSONField(_("Second-factor methods"), default=default_role_methods, blank=True)
    # A trusted browser (enforcement "Unrecognized devices only") never skips the second factor
    # for a user of this role.
    always_second_factor = models.BooleanField(_("Always require the second factor"), default=False)

    def __str__(self) -> str:
        return f"{self.group.name} ({self.type})"


def default_reminder_days() -> list[int]:
    return list(reminders.DEFAULT_DAYS)


def validate_reminder_days(value) -> None:
    try:
        if reminders.parse_days(value) != value:
            raise ValueError("Give whole numbers of days, largest first, each once.")
    except ValueError as error:
        raise ValidationError(str(error)) from None


class EnrollmentState(models.TextChoices):
    NOT_STARTED = "not_started", pgettext_lazy("enrollment state", "Not Started")
    PENDING = "pending", pgettext_lazy("enrollment state", "Pending")
    ENROLLED = "enrolled", pgettext_lazy("enrollment state", "Enrolled")


class Enforcement(models.TextChoices):
    EVERY_SIGNIN = "every_signin", _("Every sign-in")
    UNRECOGNIZED_DEVICES = "unrecognized_devices", _("Unrecognized devices only")


class TwoFactorSettings(models.Model):
    """The admin-editable policy (the Settings tab): a single row, pk=1."""

    enabled = models.BooleanField(_("Enable Two-Factor Authentication"), default=False)
    enrollment_required = models.BooleanField(
        _("Authenticator Enrollment"),
        default=True,
        help_text=_(
            "Required: users who must use 2FA enroll during sign-in. Optional: they may skip."
        ),
    )
    max_invalid_attempts = models.PositiveSmallIntegerField(
        _("Maximum Invalid Attempts"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    clock_skew_steps = models.PositiveSmallIntegerField(
        _("Clock skew tolerance"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text=_("Steps of 30 seconds accepted before and after the current one."),
    )
    backup_codes_per_set = models.PositiveSmallIntegerField(
        _("Backup codes per set"),
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(20)],
    )
    low_codes_threshold = models.PositiveSmallIntegerField(
        _("Low backup codes threshold"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(19)],
    )
    issuer_name = models.CharField(
        _("Issuer name"), max_length=64, blank=True, help_text=_("Shown in authenticator apps.")
    )
    # Methods (the Authenticator App is always allowed): each optional one on or off.
    email_codes_allowed = models.BooleanField(
        _("Email code"),
        default=False,
        help_text=_(
            "A 6-digit code sent to the user's email, valid 10 minutes, at the verify step."
        ),
    )
    passkeys_allowed = models.BooleanField(
        _("Passkey / security key"),
        default=False,
        help_text=_(
            "Added on the personal page or at enrollment, used at the verify step. Needs "
            "HTTPS (or http://localhost) and the site's name in the address bar."
        ),
    )
    sms_codes_allowed = models.BooleanField(
        _("SMS code"),
        default=False,
        help_text=_(
            "A 6-digit code sent by text message to the user's phone number, valid 10 "
            "minutes, at the verify step. Needs the SMS gateway your developers set up."
        ),
    )
    enforcement = models.CharField(
        _("Enforce the second factor"),
        max_length=24,
        choices=Enforcement.choices,
        default=Enforcement.EVERY_SIGNIN,
        help_text=_(
            "Unrecognized devices only: after the second factor a user may trust their "
            "browser; sign-ins from it then need only the password."
        ),
    )
    trust_days = models.PositiveSmallIntegerField(
        _("Trust a browser for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    reset_needs_access_pass = models.BooleanField(
        _("After a reset, the user needs a Temporary Access Pass to enroll again"),
        default=False,
        help_text=_(
            "Without it, whoever knows the password next can set up their own "
            "authenticator. Issue the pass on the Reset Enrollment tab or the user's 2FA page."
        ),
    )
    reminder_days = models.JSONField(
        _("Reminder e-mails (days before the due date)"),
        default=default_reminder_days,
        blank=True,
        validators=[validate_reminder_days],
        help_text=_(
            "Users who must enroll by a due date are e-mailed this many days before it "
            "(0: on the day), e.g. 7, 2, 1, 0. Empty: no reminders."
        ),
    )

    class Meta:
        verbose_name_plural = _("two-factor settings")
        # Who administers 2FA (Setup pages, CLI): users with this permission; superusers have it.
        permissions = [("manage_two_factor", "Can manage two-factor authentication")]

    def clean(self):
        self.issuer_name = (self.issuer_name or "").strip()  # blank: the site name is used
        if self.low_codes_threshold >= self.backup_codes_per_set:
            raise ValidationError(
                {"low_codes_threshold": _("Must be lower than the number of backup codes per set.")}
            )
        if self.issuer_name and (":" in self.issuer_name or not self.issuer_name.isprintable()):
            raise ValidationError(
                {"issuer_name": _("Use printable characters without a colon (':').")}
            )


def _role_change_labels(name: str) -> tuple[str, dict]:
    what, role = name.split(":", 1)
    if what == "role":
        title = gettext("role:%(role)s") % {"role": role}
        values = {
            "required": pgettext("role requirement", "required"),
            "not required": pgettext("role requirement", "not required"),
        }
    else:
        title = gettext("second factor:%(role)s") % {"role": role}
        values = {
            "always": gettext("always"),
            "trusted browsers count": gettext("trusted browsers count"),
        }
    return title, values


# The Settings tab's two choices for Authenticator Enrollment (forms.SettingsForm, the Audit Log).
ENROLLMENT_REQUIRED = pgettext_lazy("enrollment", "Required")
ENROLLMENT_OPTIONAL = pgettext_lazy("enrollment", "Optional")


def setting_labels(name: str) -> tuple[str, dict] | None:
    """How a policy field and its values read on the Settings page (the Audit Log's "Settings
    changed" details use it): ('Enforce the second factor', {'every_signin': 'Every sign-in', ...})."""
    if name.startswith(("role:", "second factor:")):  # a role's change (services/settings.py)
        return _role_change_labels(name)
    try:
        field = TwoFactorSettings._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    assert isinstance(field, models.Field)  # the policy row has plain fields only
    values: dict[Any, str | Promise]  # a lazy label is translated where it is shown
    if name == "enrollment_required":  # a choice of two on the page
        values = {True: ENROLLMENT_REQUIRED, False: ENROLLMENT_OPTIONAL}
    elif field.choices:
        values = {value: str(label) for value, label in field.choices}
    elif isinstance(field, models.BooleanField):
        values = {True: pgettext_lazy("setting", "on"), False: pgettext_lazy("setting", "off")}
    else:
        values = {}
    return str(field.verbose_name), values


class Authenticator(models.Model):
    """A user's enrollment: Pending until confirmed, then Enrolled. No row: Not Started.

    It holds the authenticator app's (TOTP) secret, and the backup codes hang from it. A user who
    enrolled with a passkey alone has an Enrolled row without a secret (encrypted_secret ""):
    their enrollment, backup codes and Overview buckets are the same as anyone's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authenticator"
    )
    encrypted_secret = models.TextField(blank=True)  # "": no authenticator app (passkeys only)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Replay guard: the newest accepted time step; a code for this step or older is refused.
    last_used_step = models.BigIntegerField(null=True, blank=True)
    # Denormalised, updated in the same transaction as the codes: Backup Codes Health is then one
    # indexed query. backup_codes_issued distinguishes "used them all" from "never had any".
    backup_codes_remaining = models.PositiveSmallIntegerField(default=0)
    backup_codes_issued = models.PositiveSmallIntegerField(default=0)
    # Copy of user.is_active, kept in sync by a post_save receiver on the user model (signals.py),
    # in the saving transaction: the Overview then never joins the users table.
    user_active = models.BooleanField(default=True)
    # How many passkeys the user has (WebAuthnCredential rows), changed with them under the
    # per-user lock: the Overview's method breakdown then needs no join (machinery/counters.py).
    passkeys = models.PositiveSmallIntegerField(default=0)

    class Meta:
        _enrolled_active = models.Q(confirmed_at__isnull=False, user_active=True)
        indexes = [
            models.Index(
                fields=["-confirmed_at"], name="auth_recent_idx", condition=_enrolled_active
            ),
            # Walked in order by the Backup Codes Health lists: no sort at a million users.
            models.Index(
                fields=["backup_codes_remaining", "-confirmed_at", "-id"],
                name="auth_health_idx",
                condition=_enrolled_active,
            ),
            # The user list filtered by state walks these in user order (keyset pagination).
            models.Index(
                fields=["user"], name="auth_enrolled_user_idx", condition=_enrolled_active
            ),
            models.Index(
                fields=["user"],
                name="auth_pending_user_idx",
                condition=models.Q(confirmed_at__isnull=True, user_active=True),
            ),
        ]

    @property
    def state(self) -> EnrollmentState:
        return EnrollmentState.ENROLLED if self.confirmed_at else EnrollmentState.PENDING

    @property
    def has_app(self) -> bool:
        """An authenticator app (TOTP secret) is part of this enrollment."""
        return bool(self.encrypted_secret)


class BackupCode(models.Model):
    authenticator = models.ForeignKey(
        Authenticator, on_delete=models.CASCADE, related_name="backup_codes"
    )
    digest = models.CharField(max_length=64)  # HMAC-SHA256 of the normalised code
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authenticator", "digest"], name="backup_code_unique")
        ]


class SignInChallenge(models.Model):
    """The security token issued by each password success; its attempt counter locks it."""

    token_digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="challenges"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Snapshot of the policy at issue: a settings change applies from the next sign-in.
    max_attempts = models.PositiveSmallIntegerField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # A Temporary Access Pass was accepted on this token: its sign-in goes on to enrollment.
    access_pass_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="challenge_user_idx")]

    @property
    def locked(self) -> bool:
        return self.failed_attempts >= self.max_attempts


class ThrottleEvent(models.Model):
    """One failure counted against a key (an account, a client address) in a sliding window."""

    key = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="throttle_key_at_idx"),
            models.Index(fields=["at"], name="throttle_at_idx"),  # pruning the oldest
        ]


class CodeGuessBudget(models.Model):
    """The account's budget of wrong codes across sign-ins (NIST SP 800-63B §5.2.2), beside the
    per-token lockout. One row per user who got a code wrong (Pending users too: enrollment
    confirmation counts), changed only under the per-user lock (machinery/code_checks.py
    serialize_code_checks) by conditional UPDATEs. A correct code sets the count back to zero;
    after a few consecutive failures each next try waits (a growing delay); at the hard limit the
    second factor is locked until an administrator unlocks it or resets the enrollment."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portal2fa_code_budget",
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)  # no code is checked before this
    locked_at = models.DateTimeField(null=True, blank=True)  # set at the hard limit

    class Meta:
        indexes = [
            models.Index(
                fields=["-locked_at"],
                name="code_budget_locked_idx",
                condition=models.Q(locked_at__isnull=False),
            )
        ]


class ThrottleKey(models.Model):
    """One row per throttle key, locked while an attempt enters flight and its window is counted
    (machinery/throttle.py), so parallel requests cannot all pass the check before any of them
    counts. last_at (the newest attempt) lets old rows be pruned."""

    key = models.CharField(max_length=200, primary_key=True)
    last_at = models.DateTimeField(db_index=True)
    # Attempts whose credentials are being checked now: they count against the limit until they
    # end as a failure (a ThrottleEvent) or a success (nothing).
    pending = models.PositiveIntegerField(default=0)
    # The newest failure: a key that has none within the window needs no count of its events.
    failed_at = models.DateTimeField(null=True, blank=True)


class SessionGeneration(models.Model):
    """A counter per user that security changes (enrollment reset, password change, deactivation,
    unlock) raise: a session that recorded a lower number at sign-in has ended (middleware.py).
    No row: generation 0."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    generation = models.PositiveBigIntegerField(default=0)


class ReenrollmentDue(models.Model):
    """An Enrolled user whose enrollment an administrator reset: the next sign-in leads them
    through enrollment again, even if no role of theirs requires 2FA (they had chosen it; the reset
    notice promises it). Removed when they enroll again or choose "Skip for now" (Optional)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal2fa_reenrollment"
    )
    since = models.DateTimeField()


class EnrollmentDeadline(models.Model):
    """When a user whose role requires 2FA must be enrolled by, for a role that gives a grace
    period ("by a date" or "within N days"). Until then the second-factor step may be postponed
    ("Remind me later", counted in `snoozes`); after it, enrollment cannot be skipped. No row: the
    requirement applies at the next sign-in. Indexed by `due_at` for the overdue list. Kept by
    services/deadlines.py (set-based, from the roles' rules); removed when the user enrolls, so a
    row always belongs to a user who has not enrolled."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portal2fa_deadline",
    )
    starts_at = models.DateTimeField()  # when the requirement reached the user
    due_at = models.DateTimeField(db_index=True)
    snoozes = models.PositiveSmallIntegerField(default=0)
    # The smallest snooze limit of the user's roles (None: no limit), kept here by
    # services/deadlines.py so the sign-in step reads one row.
    snooze_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    # An administrator's extension: a later rule change never moves the date before it.
    extended_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [  # the few extended rows, found without reading the others (services/deadlines)
            models.Index(
                fields=["extended_until"],
                name="deadline_extended_idx",
                condition=models.Q(extended_until__isnull=False),
            ),
            # The overdue lists walk (due date, user) in order and read no row they do not show
            # (an index-only scan: the rows lie in user order, the dates at random).
            models.Index(fields=["due_at", "user"], name="deadline_due_user_idx"),
        ]


class EnrollmentReminder(models.Model):
    """One reminder e-mail to a user who must enroll: `days_before` their due date (an offset of
    the Settings tab), or sent by an administrator ("Send a reminder now": days_before None).

    The row is claimed (inserted; one per user, due date and offset, the unique constraint
    deciding between parallel runs) and committed before the mail goes: a reminder is sent at most
    once. A send that fails keeps its row with `failed` set and is not retried by later runs (an
    administrator sees it on the user's 2FA view and may send one now)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal2fa_reminders"
    )
    due_at = models.DateTimeField(null=True, blank=True)  # the due date it reminded of
    days_before = models.PositiveSmallIntegerField(null=True, blank=True)  # None: by an admin
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "due_at", "days_before"],
                name="reminder_once_per_offset",
                condition=models.Q(days_before__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["user", "-claimed_at"], name="reminder_user_idx")]

    @property
    def outcome(self) -> str:
        return "failed" if self.failed else ("sent" if self.sent_at else "sending")


class OverviewCounter(models.Model):
    """One shard of one Overview count (see machinery/counters.py): the count is the sum of its shards.

    Names: "active" (active users), "enrolled" and "pending" (authenticators of active users),
    "codes:N" (enrolled active users who were issued codes and have N left). Moved by the services
    in the transaction of the change; `portal2fa overview --verify` recounts and reports drift.
    """

    name = models.CharField(max_length=40)
    shard = models.PositiveSmallIntegerField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "shard"], name="overview_counter_shard_uniq")
        ]


class WebAuthnCredential(models.Model):
    """A passkey or security key (WebAuthn) a user registered as a second factor.

    Only public material: the credential id and the COSE public key as the authenticator gave
    them (py_webauthn parses and verifies them). sign_count only grows, by a conditional UPDATE
    (passkeys/services.py): an assertion whose counter does not grow is a cloned credential."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal2fa_passkeys"
    )
    name = models.CharField(max_length=64)
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class EmailCode(models.Model):
    """The email (or SMS: `channel`) code of one sign-in (one security token): only its keyed hash is stored.
    A resend replaces the digest; sends, the last send and the use change by conditional UPDATEs."""

    challenge = models.OneToOneField(
        SignInChallenge, on_delete=models.CASCADE, related_name="email_code"
    )
    digest = models.CharField(max_length=64)  # HMAC-SHA256 of the 6 digits, keyed per challenge
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sends = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField(max_length=8, default="email")  # methods.EMAIL or methods.SMS
    used_at = models.DateTimeField(null=True, blank=True)


class TrustedBrowser(models.Model):
    """A browser a user chose to trust (enforcement "Unrecognized devices only"): its sign-ins
    skip the second factor until expires_at. The browser holds a random token in a cookie; only a
    keyed hash of it is stored here, bound to the user (services/trusted_browsers.py). Revoking
    deletes the row (the audit log keeps the story)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal2fa_trusted"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)  # "Firefox on Linux", from the user agent
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    last_address = models.GenericIPAddressField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "-last_used_at"], name="trusted_user_idx")]


class StepUpGrant(models.Model):
    """A confirmation on the personal page (passkeys/step_up.py): the session that made it may make
    one sensitive change without a code until `until`. The session holds a random nonce; only its
    keyed hash is here, and a change consumes the row by one conditional DELETE whose row count
    decides, so two parallel changes cannot both use one confirmation. One per user: a new
    confirmation replaces the last."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    nonce_digest = models.CharField(max_length=64)
    until = models.DateTimeField()


class AccessPassOutcome(models.TextChoices):
    USED = "used", "Used"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class TemporaryAccessPass(models.Model):
    """A one-time pass an administrator issues so a user who lost every factor can sign in once and
    enroll again (services/access_passes.py). Only its keyed hash is stored, bound to the user.
    Open while `ended_at` is empty; live while open and before `expires_at`. At most one open pass
    per user (the constraint): a new one ends the old. Its use is one conditional UPDATE."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal2fa_access_passes"
    )
    digest = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The issuing form's random id, hashed: a second click on Issue finds its pass, issues none.
    request_digest = models.CharField(max_length=64, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=AccessPassOutcome.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="access_pass_one_open_per_user",
            )
        ]
        indexes = [models.Index(fields=["user", "-issued_at"], name="access_pass_user_idx")]
