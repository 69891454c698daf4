"""Which URLs deliveries may go to: public addresses only, IPv4 and IPv6 (mapped ones included), unless allowed."""

from __future__ import annotations

import ipaddress

import pytest

from ticket_webhooks.sender import Sender
from ticket_webhooks.ssrf import Target, UnsafeUrl, check, why_unsafe

pytestmark = pytest.mark.unit

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.0.8",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",
    "2001:db8::1",
    "2002:7f00:1::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert why_unsafe(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert why_unsafe(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "http://localhost:8080/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
    ],
)
async def test_urls_reaching_private_hosts_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["ftp://93.184.216.34/", "file:///etc/passwd", "gopher://x", "http:///nohost", "https://u:p@8.8.8.8/"]
)
async def test_only_http_and_https_urls_with_a_host_and_no_credentials(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check(url, allow_private=True)


async def test_operators_allow_private_addresses_or_named_hosts() -> None:
    allowed = await check("http://127.0.0.1:9000/hook", allow_private=True)
    assert (allowed.host, allowed.port, allowed.address) == ("127.0.0.1", 9000, "127.0.0.1")
    named = await check("http://Hooks.Internal:81/x", allow_private=False, allowed_hosts=("hooks.internal",))
    assert (named.host, named.address) == ("hooks.internal", None)
    public = await check("https://8.8.8.8/x", allow_private=False)
    assert (public.port, public.address) == (443, "8.8.8.8")


def test_an_attempt_connects_to_the_address_checked_with_the_host_name_for_host_and_tls() -> None:
    sender = Sender(timeout=1.0, allow_private=False)
    target = Target("https://hooks.example.com:8443/in?x=1", "hooks.example.com", 8443, "93.184.216.34")
    request = sender._request(target, {"webhook-id": "evt_1"}, b"{}")
    assert (request.url.host, request.url.port, request.url.path, request.url.query) == (
        "93.184.216.34",
        8443,
        "/in",
        b"x=1",
    )
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert sender.client.follow_redirects is False
