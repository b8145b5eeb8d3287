from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .events import all_event_types
from .models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Empty: never expires."),
    )

    def expires_at(self, at):
        days = self.cleaned_data.get("expires_days")
        return at + timedelta(days=days) if days else None


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Endpoint name"), max_length=100)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        choices=[(t, t) for t in all_event_types()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every event type."),
    )
