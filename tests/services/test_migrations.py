"""The data migrations of this release go back and forth without doubling what they fill."""

import pytest
from django.core.management import call_command

from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.models import Authenticator


@pytest.mark.django_db(transaction=True)
def test_the_method_counters_migration_can_be_reversed_and_applied_again(user, enroll, policy):
    enroll(user)
    assert counters.totals().get(counters.METHOD_APP) == 1
    call_command("migrate", "twofactor", "0009", verbosity=0)
    call_command("migrate", "twofactor", verbosity=0)
    assert counters.totals().get(counters.METHOD_APP) == 1  # filled again, not doubled
    assert counters.drift() == {}
    assert Authenticator.objects.get(user=user).passkeys == 0
