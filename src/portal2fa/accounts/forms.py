from django import forms

from .models import RoleType, SecurityRole


class UserForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ModelChoiceField(
        label="Security Role", queryset=SecurityRole.objects.order_by("name")
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class NewUserForm(UserForm):
    password = forms.CharField(
        label="Initial password",
        required=False,
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to create the user without a password (they cannot sign in yet).",
    )


class RoleForm(forms.Form):
    name = forms.CharField(label="Role Name", max_length=100)
    type = forms.ChoiceField(label="Type", choices=RoleType.choices)


class NewRoleForm(RoleForm):
    requires_2fa = forms.BooleanField(label="Require two-factor authentication", required=False)


class ListSearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False)
