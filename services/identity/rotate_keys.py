"""python -m services.identity.rotate_keys: a new signing key in the key file.

Running processes sign with it within a second; the previous key stays in the JWKS while the
tokens it signed live. A key from SPP_JWT_PRIVATE_KEY is rotated by changing that secret and
restarting identity instead.
"""

import sys

from services.chassis.config import Settings
from services.chassis.db import Database
from services.identity.app import SERVICE
from services.identity.keys import KeySource, KeyUnavailable, rotate

if __name__ == "__main__":
    settings = Settings.from_env(SERVICE)
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            material = rotate(session, KeySource.from_settings(settings))
    except KeyUnavailable as exc:
        print(f"no rotation: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"new signing key {material.kid}")
