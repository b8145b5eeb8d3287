from dataclasses import dataclass
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import messages
from .adapter import Role, get_adapter
from .conf import setting
from .core import reminders
from .core.deadlines import (
    BY_DATE,
    EXTEND_DAYS_MAX,
    GRACE_DAYS_MAX,
    KINDS,
    NEXT_SIGNIN,
    PAST_DATE,
    SNOOZE_LIMIT_MAX,
    WITHIN_DAYS,
    DueRule,
    RuleError,
    past_date,
)
from .core.typed import typed_code
from .models import ENROLLMENT_OPTIONAL, ENROLLMENT_REQUIRED, TwoFactorSettings
from .services.settings import EDITABLE_FIELDS


class SignInForm(forms.Form):
    # "email" whatever the user model signs in with; labelled and validated after it.
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = get_user_model()
        if model.USERNAME_FIELD != model.get_email_field_name():  # e.g. Django's stock User
            username = model._meta.get_field(model.USERNAME_FIELD)
            assert isinstance(username, models.Field)  # (a user model's username is a field)
            name = username.verbose_name
            self.fields["email"] = forms.CharField(
                label=name.capitalize(),
                max_length=254,
                widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
            )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "off",
                "inputmode": "text",
            }
        ),
        error_messages={"required": messages.ENTER_A_CODE, "max_length": messages.NOT_A_VALID_CODE},
    )

    def __init__(self, *args, autofocus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not autofocus:  # a page where the code field is not the point of arrival
            self.fields["code"].widget.attrs.pop("autofocus", None)

    def clean_code(self):
        code = typed_code(self.cleaned_data["code"])  # full-width digits, any space or dash
        if not code:
            raise forms.ValidationError(messages.ENTER_A_CODE)
        if not code.isascii() or not code.isprintable():
            raise forms.ValidationError(messages.NOT_A_VALID_CODE)
        return code


# Six digits, with any spaces or dashes between (full-width too): the browser marks the field
# invalid while it cannot be a code, the server (typed.typed_code) reads what it can.
_SEPARATORS = r"[\s\-\u2010-\u2015\u2212\uff0d]*"
SIX_DIGITS_PATTERN = rf"{_SEPARATORS}([0-9\uff10-\uff19]{_SEPARATORS}){{6}}"


class SignInAppCodeForm(CodeForm):
    """The verify step's authenticator code: the phone's number pad and its one-time-code offer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "pattern": SIX_DIGITS_PATTERN}
        )


class SignInBackupCodeForm(CodeForm):
    """The verify step's backup code: letters and digits, capitals offered, nothing to autofill."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = messages.BACKUP_CODE_LABEL
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters"}
        )


class BackupCodeForm(CodeForm):
    """A backup code as the confirmation before setting up an authenticator app (no app yet)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "app_%s")  # beside the page's other code fields
        super().__init__(*args, autofocus=False, **kwargs)
        self.fields["code"].label = messages.BACKUP_CODE_LABEL


class TotpForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Authenticator code")
        self.fields["code"].widget.attrs.update({"inputmode": "numeric"})


def _role_ids(values) -> list[str]:
    """Role ids from a form; anything but short ASCII digit strings is refused (no 500 on junk)."""
    ids = []
    for value in values:
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise forms.ValidationError(_("Select valid Security Roles."))
        ids.append(text)
    return ids


class RoleIdsField(forms.MultipleChoiceField):
    def validate(self, value):
        _role_ids(value)  # junk gets its own message before "not one of the available choices"
        super().validate(value)


def number_limits() -> dict[str, tuple[int, int]]:
    """{field: (lowest, highest)} of the policy's number fields, from the model's validators (one
    source: the Settings form's min and max, and what the server accepts)."""
    limits = {}
    for field in TwoFactorSettings._meta.get_fields():
        if not isinstance(field, models.PositiveSmallIntegerField):
            continue
        lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
        highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
        limits[field.name] = (max(lows, default=0), min(highs))
    return limits


DEADLINE_FIELDS = ("due_rule", "due_date", "grace_days", "snooze_limit")
# The fields holding one checkbox per role (values: role ids), in RoleCard's order.
ROLE_COLUMNS = (
    "roles_requiring_2fa",
    "roles_always_second_factor",
    "roles_allowing_email",
    "roles_allowing_passkey",
    "roles_allowing_sms",
)
# The hidden field that says a client sent a column (one written before it existed changes none).
COLUMN_MARKERS = {
    "roles_always_second_factor": "roles_always_second_factor_shown",
    "roles_allowing_email": "methods_shown",
    "roles_allowing_passkey": "methods_shown",
    "roles_allowing_sms": "methods_shown",
}


def _deadline_fields(role) -> dict[str, forms.Field]:
    rule = role.deadline
    return {
        "due_rule": forms.ChoiceField(
            label=_("Enrollment due"),
            choices=[(kind, _(label)) for kind, label in KINDS.items()],
            required=False,
            initial=rule.kind,
        ),
        "due_date": forms.DateField(
            label=_("Due date"),
            required=False,
            initial=rule.by,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        ),
        "grace_days": forms.IntegerField(
            label=_("Days to enroll"),
            required=False,
            min_value=1,
            max_value=GRACE_DAYS_MAX,
            initial=rule.days,
        ),
        "snooze_limit": forms.IntegerField(
            label=_("Snooze limit"),
            required=False,
            min_value=0,
            max_value=SNOOZE_LIMIT_MAX,
            initial=rule.snooze_limit,
            help_text=_(
                'How often a user may choose "Remind me later" before the due date. '
                "Blank: no limit."
            ),
        ),
    }


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A form's field known to be a choice field, to set its choices."""
    return cast(forms.ChoiceField, form.fields[name])


@dataclass(frozen=True)
class RoleCard:
    """A Security Role's controls on the Settings tab: checkboxes of the shared role fields
    (one per role in each) and the role's own due-rule fields."""

    role: Role
    require: object
    always: object
    email: object
    passkey: object
    sms: object
    due_rule: object
    due_date: object
    grace_days: object
    snooze_limit: object
    unsaved: bool = False  # a refused form carried changes to this role


class ReminderDaysField(forms.CharField):
    """Days before the due date, written "7, 2, 1, 0" (reminders.parse_days)."""

    def prepare_value(self, value):
        return reminders.format_days(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        try:
            return reminders.parse_days(super().to_python(value) or "")
        except reminders.DaysError as error:
            raise forms.ValidationError(messages.translated(error)) from None
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class SettingsForm(forms.ModelForm):
    """The Settings tab. Range checks come from the model's validators; the service saves."""

    enrollment_required = forms.TypedChoiceField(
        label=_("Authenticator Enrollment"),
        choices=[("required", ENROLLMENT_REQUIRED), ("optional", ENROLLMENT_OPTIONAL)],
        coerce=lambda value: value == "required",
        widget=forms.RadioSelect,
        help_text=_(
            "Required: users who must use 2FA enroll during sign-in. Optional: they may skip."
        ),
    )
    roles_requiring_2fa = RoleIdsField(
        label=_("Require two-factor authentication"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles_always_second_factor = RoleIdsField(
        label=_("Always require the second factor"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    reminder_days = ReminderDaysField(
        label=_("Reminder e-mails (days before the due date)"),
        required=False,
        max_length=100,
        help_text=_(
            "Users who must enroll by a due date are e-mailed this many days before it "
            "(0: on the day), e.g. 7, 2, 1, 0. Empty: no reminders."
        ),
    )

    roles_allowing_email = RoleIdsField(
        label=_("Email code"), required=False, widget=forms.CheckboxSelectMultiple
    )
    roles_allowing_passkey = RoleIdsField(
        label=_("Passkey / security key"), required=False, widget=forms.CheckboxSelectMultiple
    )
    roles_allowing_sms = RoleIdsField(
        label=_("SMS code"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = TwoFactorSettings
        fields = list(EDITABLE_FIELDS)
        widgets = {"enforcement": forms.RadioSelect}

    # The roles the page showed: only those are changed, so a role created meanwhile is untouched.
    roles_shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles = get_adapter().roles()
        for name, (low, high) in number_limits().items():  # the browser's limits: the server's
            self.fields[name].widget.attrs.update(min=low, max=high)
        _choice_field(self, "roles_requiring_2fa").choices = [(r.id, r.name) for r in self.roles]
        self.initial.setdefault("roles_requiring_2fa", [r.id for r in self.roles if r.requires_2fa])
        _choice_field(self, "roles_always_second_factor").choices = [
            (r.id, r.name) for r in self.roles
        ]
        self.initial.setdefault(
            "roles_always_second_factor", [r.id for r in self.roles if r.always_second_factor]
        )
        self.initial.setdefault("roles_shown", ",".join(r.id for r in self.roles))
        minutes = setting("PORTAL2FA_EMAIL_CODE_MINUTES")
        # the model's help texts say the default 10 minutes; the page says the site's
        self.fields["email_codes_allowed"].help_text = ngettext(
            "A 6-digit code sent to the user's email, valid %(minutes)s minutes, at the verify "
            "step.",
            "A 6-digit code sent to the user's email, valid %(minutes)s minutes, at the verify "
            "step.",
            minutes,
        ) % {"minutes": minutes}
        self.fields["sms_codes_allowed"].help_text = ngettext(
            "A 6-digit code sent by text message to the user's phone number, valid %(minutes)s "
            "minutes, at the verify step. Needs the SMS gateway your developers set up.",
            "A 6-digit code sent by text message to the user's phone number, valid %(minutes)s "
            "minutes, at the verify step. Needs the SMS gateway your developers set up.",
            minutes,
        ) % {"minutes": minutes}
        for name, method in (
            ("roles_allowing_email", "email"),
            ("roles_allowing_passkey", "passkey"),
            ("roles_allowing_sms", "sms"),
        ):
            _choice_field(self, name).choices = [(r.id, r.name) for r in self.roles]
            self.initial.setdefault(name, [r.id for r in self.roles if method in r.methods])
        for name in ("enforcement", "trust_days"):
            self.fields[name].required = False
        for role in self.roles:  # each role's due rule, named after the role for the page
            for name, field in _deadline_fields(role).items():
                self.fields[f"{name}_{role.id}"] = field
        self.initial["enrollment_required"] = (
            "required" if self.instance.enrollment_required else "optional"
        )

    def _kept_when_absent(self, name: str):
        """A client that does not send the trusted-browser settings (a script written before
        they existed) keeps the current values."""
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value in (None, "") else value

    def clean_enforcement(self):
        return self._kept_when_absent("enforcement")

    def clean_trust_days(self):
        return self._kept_when_absent("trust_days")

    def clean_reminder_days(self):
        """A client that does not send the field (a script written before it) keeps the value;
        sent empty, it turns the reminders off."""
        if "reminder_days" not in self.data:
            return self.instance.reminder_days
        return self.cleaned_data["reminder_days"]

    def methods_off(self) -> dict[str, bool]:
        """Which optional methods are off site-wide (as saved): their per-role ticks do nothing
        until they are on, and the table says so instead of looking ticked and in force."""
        policy = self.instance
        return {
            "email": not policy.email_codes_allowed,
            "passkey": not policy.passkeys_allowed,
            "sms": not policy.sms_codes_allowed,
        }

    def role_cards(self) -> list["RoleCard"]:
        """One card per Security Role with all of its controls (the Settings tab's roles)."""
        return [
            RoleCard(
                role,
                *boxes,
                *(self[f"{name}_{role.id}"] for name in DEADLINE_FIELDS),
                unsaved=self._role_unsaved(role),
            )  # type: ignore[misc]  # (the boxes and fields fill the positional fields, unsaved not)
            for role, *boxes in zip(self.roles, *self.role_columns(), strict=True)
        ]

    def role_columns(self) -> list:
        """The bound fields with one checkbox per role (their errors show above the cards)."""
        return [self[name] for name in ROLE_COLUMNS]

    def _role_unsaved(self, role) -> bool:
        """A refused form shown again: whether it carries changes to this role (the page marks
        them, with or without JS)."""
        if not self.is_bound or "deadlines_shown" not in self.data:
            return False
        for name in ROLE_COLUMNS:
            if COLUMN_MARKERS.get(name, name) not in self.data and name != ROLE_COLUMNS[0]:
                continue  # a column the client did not send changes nothing
            was = role.id in [str(pk) for pk in self.get_initial_for_field(self.fields[name], name)]
            if was != (role.id in cast(QueryDict, self.data).getlist(name)):
                return True
        if f"due_rule_{role.id}" not in self.data:
            return False  # a role whose rule the client did not send keeps it
        return any(f"{name}_{role.id}" in self.changed_data for name in DEADLINE_FIELDS)

    def unsaved_summary(self) -> str:
        """ "Unsaved changes: …" for a refused form shown again; "" otherwise."""
        if not self.is_bound:
            return ""
        kept_when_absent = {"enforcement", "trust_days", "reminder_days"}
        site_wide = [
            name
            for name in self.changed_data
            if name in EDITABLE_FIELDS and (name in self.data or name not in kept_when_absent)
        ]
        names = [gettext("site-wide settings")] if site_wide else []
        names += [card.role.name for card in self.role_cards() if card.unsaved]
        if not names:
            return ""
        return gettext("Unsaved changes: %(names)s.") % {"names": ", ".join(names)}

    def role_methods(self) -> dict[str, list[str]]:
        """{role id: the optional methods that count for it}, for the roles the page showed.
        A client that does not send the method columns (an older page, a script) changes none."""
        if "methods_shown" not in self.data:
            return {}
        email = set(self.cleaned_data["roles_allowing_email"])
        passkey = set(self.cleaned_data["roles_allowing_passkey"])
        sms = set(self.cleaned_data["roles_allowing_sms"])
        columns = (("email", email), ("passkey", passkey), ("sms", sms))
        return {
            pk: [m for m, ids in columns if pk in ids] for pk in self.cleaned_data["roles_shown"]
        }

    def clean_roles_shown(self) -> list[str]:
        shown = self.cleaned_data["roles_shown"]
        if not shown:  # a client that does not send it (a script): every role it could see
            return [role.id for role in self.roles]
        return _role_ids(part for part in shown.split(",") if part)

    def role_always_second_factor(self) -> dict[str, bool] | None:
        """{role id: always} for the roles shown; None when the form did not carry the field
        (a client written before it existed changes nothing)."""
        if "roles_always_second_factor_shown" not in self.data:
            return None
        always = set(self.cleaned_data["roles_always_second_factor"])
        return {pk: pk in always for pk in self.cleaned_data["roles_shown"]}

    def role_deadlines(self) -> dict[str, DueRule] | None:
        """{role id: due rule} for the roles shown; None when the form did not carry them (a
        client written before they existed changes no rule)."""
        if "deadlines_shown" not in self.data:
            return None
        sent = {role.id for role in self.roles if f"due_rule_{role.id}" in self.data}
        return {pk: self._due_rule(pk) for pk in self.cleaned_data["roles_shown"] if pk in sent}

    def _due_rule(self, pk: str) -> DueRule:
        value = self.cleaned_data.get
        return DueRule(
            kind=value(f"due_rule_{pk}") or NEXT_SIGNIN,
            by=value(f"due_date_{pk}"),
            days=value(f"grace_days_{pk}"),
            snooze_limit=value(f"snooze_limit_{pk}"),
        )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if "deadlines_shown" in self.data and not self.errors:
            today = timezone.localdate()
            for role in self.roles:
                if f"due_rule_{role.id}" not in self.data:
                    continue
                rule = self._due_rule(role.id)
                try:
                    rule = rule.cleaned()
                except RuleError as error:
                    where = {BY_DATE: "due_date", WITHIN_DAYS: "grace_days"}.get(rule.kind)
                    self.add_error(f"{where or 'due_rule'}_{role.id}", messages.translated(error))
                    continue
                if past_date(rule, role.deadline, today=today):
                    self.add_error(f"due_date_{role.id}", gettext(PAST_DATE))
        return cleaned

    def role_requirements(self) -> dict[str, bool]:
        required = set(self.cleaned_data["roles_requiring_2fa"])
        return {pk: pk in required for pk in self.cleaned_data["roles_shown"]}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("User"), max_length=200, required=False, strip=True)


class ResetForm(forms.Form):
    user = forms.CharField(max_length=64, error_messages={"required": _("Select a user first.")})
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)
    confirmed = forms.BooleanField(required=False)


class ExtendDeadlineForm(forms.Form):
    """An administrator gives one user more time to enroll: N days more, or until a date."""

    days = forms.IntegerField(
        label=_("Days more"),
        required=False,
        min_value=1,
        max_value=EXTEND_DAYS_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    until = forms.DateField(
        label=_("Or until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        error_messages={"required": _("Give a reason: it goes to the audit log.")},
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if not self.errors and (cleaned.get("days") is None) == (cleaned.get("until") is None):
            raise forms.ValidationError(_("Give either a number of days or a date."))
        return cleaned


class PasswordChangeForm(forms.Form):
    """Self-service password change: the current password, a current second factor when the
    user is enrolled (the `code` field is removed otherwise), the new password twice."""

    current_password = forms.CharField(
        label=_("Current password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}
        ),
        error_messages={"required": messages.ENTER_A_CODE, "max_length": messages.NOT_A_VALID_CODE},
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, needs_code: bool, has_app: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_code:
            del self.fields["code"]
        elif not has_app:  # enrolled with a passkey alone: no app to read a code from
            self.fields["code"].label = _("One of your backup codes")

    def clean_code(self):
        code = typed_code(self.cleaned_data["code"])  # as the sign-in's code field reads it
        if not code.isascii() or not code.isprintable():
            raise forms.ValidationError(messages.NOT_A_VALID_CODE)
        return code

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", messages.PASSWORDS_DIFFER)
        return cleaned
