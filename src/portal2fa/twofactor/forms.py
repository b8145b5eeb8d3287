from django import forms

from ..accounts.models import SecurityRole
from .models import TwoFactorSettings
from .services.settings import EDITABLE_FIELDS


class SignInForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
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

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not code.isascii() or not code.isprintable():
            raise forms.ValidationError("That is not a valid code.")
        return code


class TotpForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Authenticator code"
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "pattern": "[0-9 ]*"})


def _role_ids(values) -> list[int]:
    """Role ids from a form; anything but short ASCII digit strings is refused (no 500 on junk)."""
    ids = []
    for value in values:
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise forms.ValidationError("Select valid Security Roles.")
        ids.append(int(text))
    return ids


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, role):
        return role.name  # the Type has its own column

    def clean(self, value):
        _role_ids(value or [])
        return super().clean(value)


class SettingsForm(forms.ModelForm):
    """The Settings tab. Range checks come from the model's validators; the service saves."""

    enrollment_required = forms.TypedChoiceField(
        label="Authenticator Enrollment",
        choices=[("required", "Required"), ("optional", "Optional")],
        coerce=lambda value: value == "required",
        widget=forms.RadioSelect,
        help_text="Required: users who must use 2FA enroll during sign-in. Optional: they may skip.",
    )
    roles_requiring_2fa = RoleChoiceField(
        label="Require two-factor authentication",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = TwoFactorSettings
        fields = list(EDITABLE_FIELDS)
        widgets = {
            name: forms.NumberInput(attrs={"min": low, "max": high})
            for name, low, high in [
                ("max_invalid_attempts", 1, 10),
                ("clock_skew_steps", 0, 5),
                ("backup_codes_per_set", 5, 20),
                ("low_codes_threshold", 1, 19),
            ]
        }

    # The roles the page showed: only those are changed, so a role created meanwhile is untouched.
    roles_shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = list(SecurityRole.objects.order_by("name"))
        self.fields["roles_requiring_2fa"].queryset = SecurityRole.objects.order_by("name")
        self.initial.setdefault("roles_requiring_2fa", [r.pk for r in roles if r.requires_2fa])
        self.initial.setdefault("roles_shown", ",".join(str(r.pk) for r in roles))
        self.initial["enrollment_required"] = (
            "required" if self.instance.enrollment_required else "optional"
        )

    def clean_roles_shown(self) -> list[int]:
        shown = self.cleaned_data["roles_shown"]
        if not shown:  # a client that does not send it (a script): every role it could see
            return [role.pk for role in self.fields["roles_requiring_2fa"].queryset]
        return _role_ids(part for part in shown.split(",") if part)

    def role_requirements(self) -> dict[int, bool]:
        required = {role.pk for role in self.cleaned_data["roles_requiring_2fa"]}
        return {pk: pk in required for pk in self.cleaned_data["roles_shown"]}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class UserSearchForm(forms.Form):
    q = forms.CharField(label="User", max_length=200, required=False, strip=True)


class ResetForm(forms.Form):
    user = forms.IntegerField(min_value=1, error_messages={"required": "Select a user first."})
    reason = forms.CharField(label="Reason (optional)", max_length=500, required=False)
    confirmed = forms.BooleanField(required=False)
