from django.urls import path
from django.views.i18n import JavaScriptCatalog

from .passkeys.urls import passkey_patterns
from .views import (
    access_pass,
    account,
    app_setup,
    audit_log,
    email_code,
    setup,
    signin,
    trusted,
    user_list,
)

app_name = "twofactor"

urlpatterns = [
    # The JavaScript's texts in the request's language (portal2fa/_assets.html loads it).
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["portal2fa.twofactor"]),
        name="javascript-catalog",
    ),
    path("signin/", signin.signin, name="signin"),
    path("signin/verify/", signin.verify, name="signin-verify"),
    path("signin/verify/email/", email_code.verify_email, name="signin-verify-email"),
    path("signin/verify/sms/", email_code.verify_sms, name="signin-verify-sms"),
    path("signin/enroll/", signin.enroll, name="signin-enroll"),
    path("signin/skip/", signin.skip_enrollment, name="signin-skip"),
    path("signin/remind-later/", signin.remind_later, name="signin-remind-later"),
    path("signin/pass/", access_pass.signin_pass, name="signin-pass"),
    path("signout/", signin.signout, name="signout"),
    path("account/two-factor/", account.overview, name="account"),
    path("account/two-factor/enroll/", account.enroll, name="account-enroll"),
    path("account/two-factor/backup-codes/", account.regenerate, name="account-regenerate"),
    path("account/two-factor/backup-codes/new/", account.new_codes, name="account-codes"),
    path("account/two-factor/app/", app_setup.app_setup, name="account-app"),
    path("account/password/", account.change_password, name="account-password"),
    path("account/trusted-browsers/<int:pk>/revoke/", trusted.revoke, name="trusted-revoke"),
    path("account/trusted-browsers/revoke/", trusted.revoke_all, name="trusted-revoke-all"),
    path("account/sign-out-everywhere/", trusted.sign_out_everywhere, name="sign-out-everywhere"),
    path("setup/two-factor/", setup.settings_tab, name="setup-settings"),
    path("setup/two-factor/overview/", setup.overview_tab, name="setup-overview"),
    path("setup/two-factor/overview.json", setup.overview_json, name="setup-overview-json"),
    path("setup/two-factor/overview/<slug:name>.csv", setup.export, name="setup-export"),
    path("setup/two-factor/overview/unlock/", setup.unlock, name="setup-unlock"),
    path("setup/two-factor/overview/<slug:name>/", setup.overview_list, name="setup-overview-list"),
    path("setup/two-factor/reset/", setup.reset_tab, name="setup-reset"),
    path("setup/two-factor/users/search", setup.user_search, name="setup-user-search"),
    path("setup/two-factor/users/<int:pk>/", setup.user_detail, name="setup-user"),
    path("setup/two-factor/access-pass/", access_pass.issue, name="setup-pass-issue"),
    path("setup/two-factor/access-pass/revoke/", access_pass.revoke, name="setup-pass-revoke"),
    path("setup/two-factor/access-pass/done/", access_pass.done, name="setup-pass-done"),
    path(
        "setup/two-factor/users/<int:pk>/extend",
        setup.extend_deadline,
        name="setup-user-extend",
    ),
    path("setup/two-factor/users/", user_list.user_list, name="setup-users"),
    path("setup/two-factor/users.csv", user_list.user_list_csv, name="setup-users-csv"),
    path("setup/two-factor/users/remind/", user_list.remind_list, name="setup-users-remind"),
    path(
        "setup/two-factor/users/<int:pk>/remind/",
        user_list.remind_user,
        name="setup-user-remind",
    ),
    path("setup/audit/", audit_log.log, name="audit-log"),
    path("setup/audit/export.csv", audit_log.export, name="audit-export"),
    *passkey_patterns,
]
