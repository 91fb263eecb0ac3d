"""Senders share the e-mail queue by the first character of the ids: all of them, once."""

import pytest

from services.notifier import mailer


@pytest.mark.parametrize("senders", range(1, 17))
def test_sender_shares_cover_every_id_once(senders):
    shares = [mailer.id_share(k, senders) for k in range(senders)]
    assert sorted(c for share in shares for c in share) == list("0123456789abcdef")
    assert all(shares)
