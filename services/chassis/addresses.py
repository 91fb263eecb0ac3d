"""The client's address, the same way in every service and the gateway.

Behind proxies the peer is the last proxy; each proxy appends the address it received from to
`X-Forwarded-For`. Walking the chain from the right while the address is one of our own
proxies (`SPP_TRUSTED_PROXIES`: addresses or networks, comma-separated) gives the first address
no proxy of ours vouches for: the client. Anything left of it was written by the client and is
ignored, so no one picks their own rate-limit bucket.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache

DEFAULT_TRUSTED = "127.0.0.1,::1"
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(setting: str) -> tuple[_Network, ...]:
    """The networks of a `SPP_TRUSTED_PROXIES` value; a malformed entry stops the service."""
    networks = []
    for entry in (part.strip() for part in setting.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError as exc:
                raise ValueError(f"SPP_TRUSTED_PROXIES: {entry!r} is no address or network") from exc
    return tuple(networks)


def _parsed(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(parsed, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    return mapped or parsed


def is_trusted(address: str, networks: tuple[_Network, ...]) -> bool:
    parsed = _parsed(address)
    return parsed is not None and any(parsed in network for network in networks)


def resolve_client(peer: str, forwarded_for: str, setting: str | None = None) -> str:
    """The client's address from the TCP peer and the `X-Forwarded-For` header."""
    networks = trusted_networks(setting if setting is not None
                                else os.environ.get("SPP_TRUSTED_PROXIES", DEFAULT_TRUSTED))
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()][-20:]
    current = peer
    while is_trusted(current, networks) and hops:
        candidate = hops.pop()
        if _parsed(candidate) is None:
            break  # garbage written by a client: the last proxy's word stands
        current = candidate
    parsed = _parsed(current)
    return str(parsed) if parsed is not None else "unknown"
