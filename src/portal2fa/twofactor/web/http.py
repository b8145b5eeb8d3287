"""Request helpers shared by views."""

import ipaddress

from ..conf import setting


def client_address(request) -> str | None:
    """The client's IP address, for throttles and the audit log.

    Behind N trusted proxies each appends the address it saw to X-Forwarded-For, so the Nth entry
    from the right is the last one a proxy of ours wrote; anything further left is whatever the
    client sent and must not be believed.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = setting("PORTAL2FA_TRUSTED_PROXY_COUNT")
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def see_other(url: str):
    """303 See Other: after a POST, the browser GETs the result (a reload never re-POSTs)."""
    from django.http import HttpResponseRedirect

    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
