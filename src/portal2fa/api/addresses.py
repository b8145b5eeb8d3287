"""Where a webhook may go: its host resolved, and every address it resolves to checked, at save
time and again at each delivery (the request then goes to the address checked, so a DNS answer
that changes in between cannot turn it to the internal network)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from .conf import setting


class AddressRefused(ValueError):
    pass


def _internal(address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address checked) for `url`, or AddressRefused with the reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("the URL must start with https:// (or http://) and name a host")
    if parts.username or parts.password:
        raise AddressRefused("the URL must not hold a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("the URL's port is not a number from 1 to 65535") from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"the host {parts.hostname!r} cannot be resolved") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not setting("PORTAL2FA_WEBHOOK_ALLOW_PRIVATE"):
        inside = [a for a in addresses if _internal(a)]
        if inside:
            raise AddressRefused(
                f"the host {parts.hostname!r} resolves to {inside[0]}, a private, loopback or "
                "link-local address (PORTAL2FA_WEBHOOK_ALLOW_PRIVATE allows it)"
            )
    return parts.scheme, parts.hostname, port, str(addresses[0])
