"""Request helpers shared by views."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address; X-Forwarded-For only when configured to trust the proxy."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.PORTAL2FA_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
