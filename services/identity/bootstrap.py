"""python -m services.identity.bootstrap: create the first admin from SPP_ADMIN_EMAIL / SPP_ADMIN_PASSWORD."""

import os
import sys

from services.chassis.config import Settings
from services.chassis.db import Database
from services.identity.app import SERVICE
from services.identity.service import AdminBootstrap, AdminPasswordRefused, bootstrap_admin

if __name__ == "__main__":
    db = Database(Settings.from_env(SERVICE).database_url)
    try:
        outcome = bootstrap_admin(db, os.environ.get("SPP_ADMIN_EMAIL"),
                                  os.environ.get("SPP_ADMIN_PASSWORD"))
    except AdminPasswordRefused as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print("first administrator created" if outcome is AdminBootstrap.CREATED
          else "no administrator created")
    sys.exit(0)
