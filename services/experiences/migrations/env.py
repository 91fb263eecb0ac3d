from services.chassis.db import run_migrations
from services.experiences.models import Base

run_migrations(Base.metadata)
