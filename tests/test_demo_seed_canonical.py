"""The demo seed bulk-creates users: every one gets its canonical email, so each can
sign in by the canonical lookup."""

import pytest
from django.db.models import F

from portal2fa.accounts.models import User
from portal2fa.demo import DEMO_ADMIN_EMAIL, seed_demo
from portal2fa.twofactor.core.canonical import canonical_identifier

pytestmark = pytest.mark.django_db


def test_seeded_users_have_their_canonical_email():
    assert seed_demo()
    assert User.objects.count() > 100
    assert not User.objects.filter(email_canonical="").exists()
    sample = User.objects.exclude(email_canonical=F("email"))[:5]
    for user in sample:
        assert user.email_canonical == canonical_identifier(user.email)
    assert User.objects.get_by_natural_key(DEMO_ADMIN_EMAIL.upper()).email == DEMO_ADMIN_EMAIL
    assert not seed_demo()  # seeded once
