"""One client address behind any number of our proxies, none that a client can choose."""

from __future__ import annotations

import pytest

from services.chassis.addresses import resolve_client, trusted_networks

COMPOSE = "172.30.0.0/24"


@pytest.mark.parametrize("peer,forwarded,setting,client", [
    ("203.0.113.9", "", COMPOSE, "203.0.113.9"),  # straight from the internet
    ("203.0.113.9", "10.9.9.9", COMPOSE, "203.0.113.9"),  # a client's own header is ignored
    ("172.30.0.5", "198.51.100.7", COMPOSE, "198.51.100.7"),  # through the gateway
    # proxy on the host -> gateway -> service: each hop trusted, the client found once
    ("172.30.0.5", "198.51.100.7", "172.30.0.0/24", "198.51.100.7"),
    ("172.30.0.1", "6.6.6.6, 198.51.100.7", "172.30.0.1", "198.51.100.7"),  # spoof left of it
    ("127.0.0.1", "198.51.100.7", "127.0.0.1,::1", "198.51.100.7"),
    ("::ffff:172.30.0.5", "198.51.100.7", COMPOSE, "198.51.100.7"),
    ("172.30.0.5", "not-an-address", COMPOSE, "172.30.0.5"),
    ("172.30.0.5", "172.30.0.1, 172.30.0.9", COMPOSE, "172.30.0.1"),  # all ours: the farthest
    ("2001:db8::1", "", "2001:db8::/32", "2001:db8::1"),
])
def test_the_client_is_the_first_address_no_proxy_of_ours_vouches_for(peer, forwarded, setting,
                                                                       client):
    assert resolve_client(peer, forwarded, setting) == client


def test_two_clients_behind_one_proxy_get_two_buckets():
    behind = [resolve_client("172.30.0.1", ip, "172.30.0.1") for ip in ("1.1.1.1", "2.2.2.2")]
    assert behind == ["1.1.1.1", "2.2.2.2"]


def test_a_malformed_setting_is_refused_at_once():
    with pytest.raises(ValueError, match="no address or network"):
        trusted_networks("172.30.0.0/24, proxy.example")
