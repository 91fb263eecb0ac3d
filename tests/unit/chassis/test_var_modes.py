"""var/ is its owner's (0700), and so is every SQLite database made in it (0600)."""

import os
import stat

import sqlalchemy as sa

from services.chassis import config, db


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_var_and_its_sqlite_databases_are_the_owners_only(tmp_path, monkeypatch):
    var = tmp_path / "var"
    monkeypatch.setattr(db, "VAR", var)
    old_umask = os.umask(0o022)  # the usual default: 0755 folders and 0644 files
    try:
        engine = db.make_engine(f"sqlite:///{var / 'identity.db'}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            assert _mode(var / "identity.db-wal") == 0o600  # WAL files follow the database
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert _mode(var) == 0o700
    assert _mode(var / "identity.db") == 0o600


def test_an_existing_var_and_database_are_closed(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "notifier.db").write_bytes(b"")
    (var / "notifier.db").chmod(0o644)
    monkeypatch.setattr(db, "VAR", var)
    db.make_engine(f"sqlite:///{var / 'notifier.db'}").dispose()
    assert _mode(var) == 0o700 and _mode(var / "notifier.db") == 0o600


def test_private_dir_and_file_helpers(tmp_path):
    folder = config.private_dir(tmp_path / "a" / "b")
    assert _mode(folder) == 0o700
    made = config.private_file(folder / "secret")
    assert _mode(made) == 0o600 and made.read_bytes() == b""
    made.write_bytes(b"kept")
    made.chmod(0o640)
    config.private_file(made)
    assert _mode(made) == 0o600 and made.read_bytes() == b"kept"
