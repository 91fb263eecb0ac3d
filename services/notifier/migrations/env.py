from services.chassis.db import run_migrations
from services.notifier.models import Base

run_migrations(Base.metadata)
