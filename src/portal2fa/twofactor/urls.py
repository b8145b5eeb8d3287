from django.urls import path

from .views import account, app_setup, audit_log, email_code, passkeys, setup, signin, trusted

app_name = "twofactor"

urlpatterns = [
    path("signin/", signin.signin, name="signin"),
    path("signin/verify/", signin.verify, name="signin-verify"),
    path("signin/verify/email/", email_code.verify_email, name="signin-verify-email"),
    path("signin/verify/sms/", email_code.verify_sms, name="signin-verify-sms"),
    path("signin/enroll/", signin.enroll, name="signin-enroll"),
    path("signin/skip/", signin.skip_enrollment, name="signin-skip"),
    path("signin/remind-later/", signin.remind_later, name="signin-remind-later"),
    path("signin/passkey/options/", passkeys.signin_options, name="signin-passkey-options"),
    path("signin/passkey/", passkeys.signin_verify, name="signin-passkey"),
    path(
        "signin/enroll/passkey/options/",
        passkeys.enroll_options,
        name="signin-enroll-passkey-options",
    ),
    path("signin/enroll/passkey/", passkeys.enroll, name="signin-enroll-passkey"),
    path("signout/", signin.signout, name="signout"),
    path("account/two-factor/", account.overview, name="account"),
    path("account/two-factor/enroll/", account.enroll, name="account-enroll"),
    path(
        "account/two-factor/enroll/passkey/options/",
        passkeys.account_enroll_options,
        name="account-enroll-passkey-options",
    ),
    path(
        "account/two-factor/enroll/passkey/",
        passkeys.account_enroll,
        name="account-enroll-passkey",
    ),
    path("account/two-factor/backup-codes/", account.regenerate, name="account-regenerate"),
    path("account/two-factor/backup-codes/new/", account.new_codes, name="account-codes"),
    path(
        "account/two-factor/passkeys/options/",
        passkeys.register_options,
        name="account-passkey-options",
    ),
    path("account/two-factor/passkeys/add/", passkeys.register, name="account-passkey-add"),
    path(
        "account/two-factor/confirm/options/",
        passkeys.confirm_options,
        name="account-confirm-options",
    ),
    path("account/two-factor/confirm/", passkeys.confirm, name="account-confirm"),
    path("account/two-factor/app/", app_setup.app_setup, name="account-app"),
    path("account/two-factor/passkeys/rename/", passkeys.rename, name="account-passkey-rename"),
    path("account/two-factor/passkeys/remove/", passkeys.remove, name="account-passkey-remove"),
    path("account/password/", account.change_password, name="account-password"),
    path("account/trusted-browsers/<int:pk>/revoke/", trusted.revoke, name="trusted-revoke"),
    path("account/trusted-browsers/revoke/", trusted.revoke_all, name="trusted-revoke-all"),
    path("account/sign-out-everywhere/", trusted.sign_out_everywhere, name="sign-out-everywhere"),
    path("setup/two-factor/", setup.settings_tab, name="setup-settings"),
    path("setup/two-factor/overview/", setup.overview_tab, name="setup-overview"),
    path("setup/two-factor/overview.json", setup.overview_json, name="setup-overview-json"),
    path("setup/two-factor/overview/<slug:name>.csv", setup.export, name="setup-export"),
    path("setup/two-factor/overview/unlock/", setup.unlock, name="setup-unlock"),
    path("setup/two-factor/reset/", setup.reset_tab, name="setup-reset"),
    path("setup/two-factor/users/search", setup.user_search, name="setup-user-search"),
    path("setup/two-factor/users/<int:pk>/", setup.user_detail, name="setup-user"),
    path(
        "setup/two-factor/users/<int:pk>/extend",
        setup.extend_deadline,
        name="setup-user-extend",
    ),
    path("setup/audit/", audit_log.log, name="audit-log"),
    path("setup/audit/export.csv", audit_log.export, name="audit-export"),
]
