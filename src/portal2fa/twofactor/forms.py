from django import forms


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
