"""System checks of the API app's settings."""

import ipaddress

from django.core import checks

from .conf import setting


@checks.register()
def metrics_addresses(app_configs, **kwargs):
    errors = []
    for network in setting("PORTAL2FA_METRICS_ALLOWED_ADDRESSES"):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"PORTAL2FA_METRICS_ALLOWED_ADDRESSES: {network!r} is not an address or network.",
                    id="portal2fa_api.E001",
                )
            )
    return errors
