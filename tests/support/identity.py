"""Identity's test accounts: the first admin the app seeds, and the password of every user the
tests create (fixtures in tests/integration/identity/conftest.py)."""

ADMIN_EMAIL = "admin@spp.test"
ADMIN_PASSWORD = "correct horse battery staple"
PASSWORD = "une phrase de passe assez longue"
