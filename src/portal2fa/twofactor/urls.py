from django.urls import path

from .views import account, signin

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
]
