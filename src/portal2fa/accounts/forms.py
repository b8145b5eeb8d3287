from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RoleType, SecurityRole


class UserForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ModelChoiceField(
        label=_("Security Role"), queryset=SecurityRole.objects.order_by("name")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create the user without a password (they cannot sign in yet)."),
    )


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Role Name"), max_length=100)
    type = forms.ChoiceField(label=_("Type"), choices=RoleType.choices)


class NewRoleForm(RoleForm):
    requires_2fa = forms.BooleanField(label=_("Require two-factor authentication"), required=False)


class ListSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
