from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .adapter import get_adapter
from .backup_codes import strip_separators
from .conf import setting
from .models import TwoFactorSettings
from .services.settings import EDITABLE_FIELDS


class SignInForm(forms.Form):
    # "email" whatever the user model signs in with; labelled and validated after it.
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = get_user_model()
        if model.USERNAME_FIELD != model.get_email_field_name():  # e.g. Django's stock User
            name = model._meta.get_field(model.USERNAME_FIELD).verbose_name
            self.fields["email"] = forms.CharField(
                label=name.capitalize(),
                max_length=254,
                widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
            )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
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
        error_messages={"required": "Enter a code.", "max_length": "That is not a valid code."},
    )

    def __init__(self, *args, autofocus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not autofocus:  # a page where the code field is not the point of arrival
            self.fields["code"].widget.attrs.pop("autofocus", None)

    def clean_code(self):
        code = strip_separators(self.cleaned_data["code"])  # any space or dash people paste
        if not code:
            raise forms.ValidationError("Enter a code.")
        if not code.isascii() or not code.isprintable():
            raise forms.ValidationError("That is not a valid code.")
        return code


class BackupCodeForm(CodeForm):
    """A backup code as the confirmation before setting up an authenticator app (no app yet)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "app_%s")  # beside the page's other code fields
        super().__init__(*args, autofocus=False, **kwargs)
        self.fields["code"].label = "Backup code"


class TotpForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Authenticator code"
        self.fields["code"].widget.attrs.update({"inputmode": "numeric"})


def _role_ids(values) -> list[str]:
    """Role ids from a form; anything but short ASCII digit strings is refused (no 500 on junk)."""
    ids = []
    for value in values:
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise forms.ValidationError("Select valid Security Roles.")
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


class SettingsForm(forms.ModelForm):
    """The Settings tab. Range checks come from the model's validators; the service saves."""

    enrollment_required = forms.TypedChoiceField(
        label="Authenticator Enrollment",
        choices=[("required", "Required"), ("optional", "Optional")],
        coerce=lambda value: value == "required",
        widget=forms.RadioSelect,
        help_text="Required: users who must use 2FA enroll during sign-in. Optional: they may skip.",
    )
    roles_requiring_2fa = RoleIdsField(
        label="Require two-factor authentication",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles_always_second_factor = RoleIdsField(
        label="Always require the second factor",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    roles_allowing_email = RoleIdsField(
        label="Email code", required=False, widget=forms.CheckboxSelectMultiple
    )
    roles_allowing_passkey = RoleIdsField(
        label="Passkey / security key", required=False, widget=forms.CheckboxSelectMultiple
    )
    roles_allowing_sms = RoleIdsField(
        label="SMS code", required=False, widget=forms.CheckboxSelectMultiple
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
        self.fields["roles_requiring_2fa"].choices = [(r.id, r.name) for r in self.roles]
        self.initial.setdefault("roles_requiring_2fa", [r.id for r in self.roles if r.requires_2fa])
        self.fields["roles_always_second_factor"].choices = [(r.id, r.name) for r in self.roles]
        self.initial.setdefault(
            "roles_always_second_factor", [r.id for r in self.roles if r.always_second_factor]
        )
        self.initial.setdefault("roles_shown", ",".join(r.id for r in self.roles))
        minutes = setting("PORTAL2FA_EMAIL_CODE_MINUTES")
        for name in ("email_codes_allowed", "sms_codes_allowed"):  # the model's help: the default
            codes = self.fields[name]
            codes.help_text = codes.help_text.replace("10 minutes", f"{minutes} minutes")
        for name, method in (
            ("roles_allowing_email", "email"),
            ("roles_allowing_passkey", "passkey"),
            ("roles_allowing_sms", "sms"),
        ):
            self.fields[name].choices = [(r.id, r.name) for r in self.roles]
            self.initial.setdefault(name, [r.id for r in self.roles if method in r.methods])
        for name in ("enforcement", "trust_days"):
            self.fields[name].required = False
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

    def role_rows(self):
        """(checkbox, role) pairs for the table of roles."""
        return list(zip(self["roles_requiring_2fa"], self.roles, strict=True))

    def methods_off(self) -> dict[str, bool]:
        """Which optional methods are off site-wide (as saved): their per-role ticks do nothing
        until they are on, and the table says so instead of looking ticked and in force."""
        policy = self.instance
        return {
            "email": not policy.email_codes_allowed,
            "passkey": not policy.passkeys_allowed,
            "sms": not policy.sms_codes_allowed,
        }

    def method_rows(self):
        """(role, email, passkey and SMS checkboxes) for the table of methods per role."""
        return list(
            zip(
                self.roles,
                self["roles_allowing_email"],
                self["roles_allowing_passkey"],
                self["roles_allowing_sms"],
                strict=True,
            )
        )

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

    def always_rows(self):
        """(checkbox, role) pairs for "Always require the second factor"."""
        return list(zip(self["roles_always_second_factor"], self.roles, strict=True))

    def role_always_second_factor(self) -> dict[str, bool] | None:
        """{role id: always} for the roles shown; None when the form did not carry the field
        (a client written before it existed changes nothing)."""
        if "roles_always_second_factor_shown" not in self.data:
            return None
        always = set(self.cleaned_data["roles_always_second_factor"])
        return {pk: pk in always for pk in self.cleaned_data["roles_shown"]}

    def role_requirements(self) -> dict[str, bool]:
        required = set(self.cleaned_data["roles_requiring_2fa"])
        return {pk: pk in required for pk in self.cleaned_data["roles_shown"]}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class UserSearchForm(forms.Form):
    q = forms.CharField(label="User", max_length=200, required=False, strip=True)


class ResetForm(forms.Form):
    user = forms.CharField(max_length=64, error_messages={"required": "Select a user first."})
    reason = forms.CharField(label="Reason (optional)", max_length=500, required=False)
    confirmed = forms.BooleanField(required=False)


class PasswordChangeForm(forms.Form):
    """Self-service password change: the current password, a current second factor when the
    user is enrolled (the `code` field is removed otherwise), the new password twice."""

    current_password = forms.CharField(
        label="Current password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Code from your authenticator app, or a backup code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}
        ),
        error_messages={"required": "Enter a code.", "max_length": "That is not a valid code."},
    )
    new_password1 = forms.CharField(
        label="New password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="New password again",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, needs_code: bool, has_app: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_code:
            del self.fields["code"]
        elif not has_app:  # enrolled with a passkey alone: no app to read a code from
            self.fields["code"].label = "One of your backup codes"

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not code.isascii() or not code.isprintable():
            raise forms.ValidationError("That is not a valid code.")
        return code

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "The two new passwords do not match.")
        return cleaned
