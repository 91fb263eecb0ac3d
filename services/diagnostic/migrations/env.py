from services.chassis.db import run_migrations
from services.diagnostic.models import Base

run_migrations(Base.metadata)
