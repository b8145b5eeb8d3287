import pytest

from portal2fa.twofactor.models import TwoFactorSettings


@pytest.fixture
def set_policy(policy):
    """Change the stored 2FA policy row directly, e.g. set_policy(max_invalid_attempts=3)."""

    def update(**values) -> TwoFactorSettings:
        TwoFactorSettings.objects.filter(pk=policy.pk).update(**values)
        policy.refresh_from_db()
        return policy

    return update
