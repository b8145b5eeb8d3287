from django.urls import path

from .views import account, audit_log, setup, signin, trusted

app_name = "twofactor"

urlpatterns = [
    path("signin/", signin.signin, name="signin"),
    path("signin/verify/", signin.verify, name="signin-verify"),
    path("signin/enroll/", signin.enroll, name="signin-enroll"),
    path("signin/skip/", signin.skip_enrollment, name="signin-skip"),
    path("signout/", signin.signout, name="signout"),
    path("account/two-factor/", account.overview, name="account"),
    path("account/two-factor/enroll/", account.enroll, name="account-enroll"),
    path("account/two-factor/backup-codes/", account.regenerate, name="account-regenerate"),
    path("account/two-factor/backup-codes/new/", account.new_codes, name="account-codes"),
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
    path("setup/audit/", audit_log.log, name="audit-log"),
    path("setup/audit/export.csv", audit_log.export, name="audit-export"),
]
