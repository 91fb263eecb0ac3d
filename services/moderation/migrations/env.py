from services.chassis.db import run_migrations
from services.moderation.models import Base

run_migrations(Base.metadata)
