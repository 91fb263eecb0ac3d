"""Notifier's own tables."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from services.chassis.db import add_messaging_tables


class Base(DeclarativeBase):
    metadata = MetaData()


outbox, inbox = add_messaging_tables(Base.metadata)
