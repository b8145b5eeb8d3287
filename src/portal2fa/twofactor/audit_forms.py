from django import forms
from django.utils.translation import gettext_lazy as _

from ..audit.models import Action
from .adapter import get_adapter


class AuditFilterForm(forms.Form):
    user = forms.CharField(
        label=_("User"), max_length=200, required=False, help_text=_("Name or email")
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *Action.choices],
        # Django's message repeats the value sent: a link could make the page say anything
        error_messages={"invalid_choice": _("Choose an action from the list.")},
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        for name in ("date_from", "date_to"):
            if data.get(name) and not 1970 <= data[name].year <= 9998:
                self.add_error(name, _("Enter a date between 1970 and 9998."))  # drops it from data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("'From' must not be after 'To'."))
        return data

    def filters(self) -> dict:
        """Filters for audit_events(); empty when the form is invalid (its errors are shown)."""
        if not self.is_valid():
            return {}
        filters = {k: v for k, v in self.cleaned_data.items() if v}
        if "user" in filters:  # the host's users whose name or email contains the text
            filters["users"] = get_adapter().search_users(filters.pop("user").strip())
        return filters
