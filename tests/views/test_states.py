"""States that say the truth: "Skip for now" leaves a user Not Started, and a user whose enrollment
an administrator reset is led through enrollment at the next sign-in, even without a 2FA role."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.models import Authenticator, ReenrollmentDue, TwoFactorSettings
from portal2fa.twofactor.selectors.overview import Overview
from portal2fa.twofactor.services.enrollment import enrollment_begin, enrollment_reset

from .helpers import current_code, is_signed_in, manual_key, sign_in, text

ENROLL = "twofactor:signin-enroll"
SKIP = "twofactor:signin-skip"


@pytest.fixture
def optional(policy):
    TwoFactorSettings.objects.filter(pk=1).update(enrollment_required=False)


@pytest.fixture
def volunteer(make_user, make_role, enroll, policy):
    """Enrolled by choice: their role does not require 2FA."""
    role = make_role("Customers", requires_2fa=False)
    return enroll(make_user("vera@example.com", name="Vera Volunteer", role=role))


def pending_count() -> int:
    return Overview(current_policy(), now=timezone.now()).counts.pending


def test_skip_for_now_does_not_count_the_user_as_pending(client, user, optional):
    sign_in(client, user.email)
    assert "Skip for now" in text(client.get(reverse(ENROLL)))
    assert pending_count() == 1  # while the QR code is on screen
    client.post(reverse(SKIP))
    assert is_signed_in(client)
    assert pending_count() == 0
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_SKIPPED)
    assert event.detail == {"pending_discarded": True}


def test_skip_keeps_a_pending_enrollment_started_before_this_sign_in(client, user, optional):
    earlier = enrollment_begin(user=user, at=timezone.now() - timedelta(days=1))
    sign_in(client, user.email)
    key = manual_key(client.get(reverse(ENROLL)))  # the same secret as before: finishable
    client.post(reverse(SKIP))
    assert is_signed_in(client)
    assert Authenticator.objects.get(user=user).pk == earlier.pk
    assert pending_count() == 1
    assert key


def test_reset_volunteer_is_led_through_enrollment_at_the_next_sign_in(
    client, volunteer, admin_user
):
    enrollment_reset(actor=admin_user, user=volunteer.user, at=timezone.now())
    assert ReenrollmentDue.objects.filter(user=volunteer.user).exists()
    response = sign_in(client, volunteer.user.email)
    assert response.url == reverse(ENROLL)  # not signed in with the password alone
    assert not is_signed_in(client)
    page = client.get(reverse(ENROLL))
    assert "Skip for now" not in text(page)  # Required: no way around it
    key = manual_key(page)
    response = client.post(reverse(ENROLL), {"code": current_code(key)})
    assert response.status_code == HTTPStatus.SEE_OTHER  # on to the show-once codes page
    assert response.url == reverse("twofactor:account-codes")
    assert is_signed_in(client)
    assert not ReenrollmentDue.objects.filter(user=volunteer.user).exists()


def test_reset_volunteer_may_skip_when_optional_and_is_not_asked_again(
    client, volunteer, admin_user, optional
):
    enrollment_reset(actor=admin_user, user=volunteer.user, at=timezone.now())
    sign_in(client, volunteer.user.email)
    assert "Skip for now" in text(client.get(reverse(ENROLL)))
    client.post(reverse(SKIP))
    assert is_signed_in(client)
    assert not ReenrollmentDue.objects.exists()
    assert not Authenticator.objects.filter(user=volunteer.user).exists()
    client.post(reverse("twofactor:signout"))
    response = sign_in(client, volunteer.user.email)
    assert response.url == "/"  # asked once; their personal page still offers enrollment


def test_resetting_a_pending_volunteer_leads_nowhere(
    client, make_user, make_role, admin_user, policy
):
    role = make_role("Customers", requires_2fa=False)
    pat = make_user("pat@example.com", role=role)
    enrollment_begin(user=pat, at=timezone.now())
    enrollment_reset(actor=admin_user, user=pat, at=timezone.now())
    assert not ReenrollmentDue.objects.exists()  # never enrolled: nothing was promised
    assert sign_in(client, pat.email).url == "/"
