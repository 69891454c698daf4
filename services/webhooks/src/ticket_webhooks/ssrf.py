"""Where deliveries may go: http(s) URLs whose host resolves only to public addresses.

Checked when an endpoint is registered or changed, and again before every attempt, whose connection then goes to
the address just checked (so a name that resolves elsewhere a second later, DNS rebinding, gains nothing).
``WEBHOOKS_ALLOW_PRIVATE=true`` allows every address; a host in ``WEBHOOKS_ALLOWED_HOSTS`` is allowed whatever it
resolves to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not flagged by ipaddress's properties everywhere: shared address space (RFC 6598), NAT64.
_EXTRA = tuple(ipaddress.ip_network(n) for n in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "64:ff9b::/96"))


class UnsafeUrl(ValueError):
    """The URL may not be delivered to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its host name and the address to connect to (None: allowed whatever it resolves to)."""

    url: str
    host: str
    port: int
    address: str | None


def why_unsafe(address: Address) -> str | None:
    """Why deliveries may not go to ``address`` (private, loopback, ...), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return why_unsafe(mapped)
    for name in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    if any(address in network for network in _EXTRA if network.version == address.version):
        return "reserved"
    if not address.is_global:
        return "non-public"
    return None


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or :class:`UnsafeUrl`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs are delivered to")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not accepted; authenticate with the signature")
    host = parts.hostname.lower().rstrip(".")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeUrl(f"the host {host!r} does not resolve: {exc.strerror}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check(url: str, *, allow_private: bool, allowed_hosts: Iterable[str] = ()) -> Target:
    """The :class:`Target` of ``url`` if deliveries may go there, else :class:`UnsafeUrl` naming why."""
    _, host, port = parse(url)
    if host in set(allowed_hosts):
        return Target(url, host, port, None)
    try:
        literal: Address | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else await resolve(host, port)
    if not addresses:
        raise UnsafeUrl(f"the host {host!r} does not resolve")
    if not allow_private:
        for address in addresses:
            reason = why_unsafe(address)
            if reason is not None:
                raise UnsafeUrl(f"{host} resolves to a {reason} address ({address}); not delivered to")
    return Target(url, host, port, str(addresses[0]))
