import pytest
from django.test import RequestFactory

from portal2fa.twofactor.web.http import client_address


def request(forwarded=None, remote="10.0.0.9"):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.PORTAL2FA_TRUSTED_PROXY_COUNT = 0
    assert client_address(request("203.0.113.7")) == "10.0.0.9"


@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (1, "198.51.100.1", "198.51.100.1"),
        # A client-sent entry on the left is ignored: the proxy appended the real address last.
        (1, "203.0.113.66, 198.51.100.1", "198.51.100.1"),
        (2, "203.0.113.66, 198.51.100.1, 10.1.1.1", "198.51.100.1"),
        # Fewer hops than proxies: the header is not trustworthy, use the socket.
        (2, "198.51.100.1", "10.0.0.9"),
    ],
)
def test_trusted_proxies_take_the_nth_address_from_the_right(
    settings, proxies, forwarded, expected
):
    settings.PORTAL2FA_TRUSTED_PROXY_COUNT = proxies
    assert client_address(request(forwarded)) == expected


def test_garbage_is_no_address(settings):
    settings.PORTAL2FA_TRUSTED_PROXY_COUNT = 1
    assert client_address(request("not-an-ip")) is None
