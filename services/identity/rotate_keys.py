"""python -m services.identity.rotate_keys: a new signing key; the previous one stays published."""

from services.chassis.config import Settings
from services.chassis.db import Database
from services.identity.app import SERVICE
from services.identity.keys import rotate

if __name__ == "__main__":
    db = Database(Settings.from_env(SERVICE).database_url)
    with db.transaction() as session:
        print(f"new signing key {rotate(session).kid}")
