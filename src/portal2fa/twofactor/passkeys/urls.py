"""The passkey routes, part of the library's URLs (twofactor/urls.py names them "twofactor:…")."""

from django.urls import path

from . import views

passkey_patterns = [
    path("signin/passkey/options/", views.signin_options, name="signin-passkey-options"),
    path("signin/passkey/", views.signin_verify, name="signin-passkey"),
    path(
        "signin/enroll/passkey/options/",
        views.enroll_options,
        name="signin-enroll-passkey-options",
    ),
    path("signin/enroll/passkey/", views.enroll, name="signin-enroll-passkey"),
    path(
        "account/two-factor/enroll/passkey/options/",
        views.account_enroll_options,
        name="account-enroll-passkey-options",
    ),
    path(
        "account/two-factor/enroll/passkey/",
        views.account_enroll,
        name="account-enroll-passkey",
    ),
    path(
        "account/two-factor/passkeys/options/",
        views.register_options,
        name="account-passkey-options",
    ),
    path("account/two-factor/passkeys/add/", views.register, name="account-passkey-add"),
    path("account/two-factor/passkeys/new/", views.add_dialog, name="account-passkey-new"),
    path(
        "account/two-factor/confirm/options/",
        views.confirm_options,
        name="account-confirm-options",
    ),
    path("account/two-factor/confirm/", views.confirm, name="account-confirm"),
    path("account/two-factor/passkeys/rename/", views.rename, name="account-passkey-rename"),
    path("account/two-factor/passkeys/remove/", views.remove, name="account-passkey-remove"),
]
