"""The e-mails' figures on /metrics, read from the database at each scrape: a relay that refuses
or is down shows as queued e-mails piling up and ageing, before anyone misses one."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from services.chassis.db import Database
from services.notifier.domain import EmailStatus
from services.notifier.models import Email

_EMAILS = Email.__table__
_BY_STATUS = (sa.select(_EMAILS.c.status, sa.func.count(), sa.func.min(_EMAILS.c.created_at))
              .where(_EMAILS.c.status.in_([str(EmailStatus.QUEUED), str(EmailStatus.FAILED)]))
              .group_by(_EMAILS.c.status))


class EmailCollector:
    def __init__(self, db: Database):
        self.db = db

    def describe(self):
        return []  # no query when the collector is registered

    def collect(self):
        try:
            with self.db.engine.connect() as conn:
                rows = {status: (count, oldest) for status, count, oldest in conn.execute(_BY_STATUS)}
        except sa.exc.SQLAlchemyError:
            return  # not migrated yet, or the database is down (/readyz says which)
        queued, oldest = rows.get(str(EmailStatus.QUEUED), (0, None))
        yield GaugeMetricFamily("spp_emails_queued", "E-mails waiting to be handed to the relay",
                                value=queued)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # SQLite keeps the wall time only
        yield GaugeMetricFamily(
            "spp_emails_oldest_queued_seconds",
            "Age of the oldest e-mail still waiting (0 when none): grows while the relay is down",
            value=(datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
        yield GaugeMetricFamily(
            "spp_emails_failed", "E-mails given up after their retries (see their last_error)",
            value=rows.get(str(EmailStatus.FAILED), (0, None))[0])
