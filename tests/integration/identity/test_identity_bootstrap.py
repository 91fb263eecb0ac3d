"""The first admin at start-up (safe under concurrency), key generation, and the CSV import."""

import io
import threading

import pytest
import sqlalchemy as sa

from services.chassis.db import Database, migrate
from services.identity import keys
from services.identity.import_structures import import_structures
from services.identity.models import SigningKey, User
from services.identity.service import AdminBootstrap, AdminPasswordRefused, bootstrap_admin


def test_bootstrap_creates_one_admin_even_when_workers_race(create_database):
    url = create_database("identity_boot")
    migrate("identity", url)
    db = Database(url)
    results, barrier = [], threading.Barrier(4)

    def run():
        barrier.wait()
        results.append(bootstrap_admin(db, "first@spp.test", "une phrase de passe solide"))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.transaction() as session:
        admins = session.scalars(sa.select(User)).all()
    assert [u.profile for u in admins] == ["admin"] and admins[0].email == "first@spp.test"
    assert results.count(AdminBootstrap.CREATED) == 1
    assert set(results) == {AdminBootstrap.CREATED, AdminBootstrap.USERS_EXIST}
    # a restart with other variables keeps the accounts, even with a password the policy refuses
    assert bootstrap_admin(db, "second@spp.test", "une phrase de passe solide") \
        is AdminBootstrap.USERS_EXIST
    assert bootstrap_admin(db, "second@spp.test", "abc") is AdminBootstrap.USERS_EXIST
    db.dispose()


def test_bootstrap_skips_when_tables_are_missing(create_database):
    db = Database(create_database("identity_empty"))
    assert bootstrap_admin(db, "first@spp.test", "une phrase de passe solide") \
        is AdminBootstrap.NO_TABLES
    db.dispose()


@pytest.mark.parametrize("password", ["abc", "password1234"])
def test_bootstrap_refuses_a_password_the_policy_refuses(create_database, password):
    url = create_database("identity_weak")
    migrate("identity", url)
    db = Database(url)
    with pytest.raises(AdminPasswordRefused, match=r"^SPP_ADMIN_PASSWORD is refused") as refused:
        bootstrap_admin(db, "first@spp.test", password)
    assert "\n" not in str(refused.value) and password not in str(refused.value)
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert bootstrap_admin(db, "first@spp.test", "une phrase de passe solide") \
        is AdminBootstrap.CREATED
    db.dispose()


def test_one_signing_key_even_when_generated_concurrently(create_database, tmp_path):
    url = create_database("identity_keys")
    migrate("identity", url)
    db = Database(url)
    path = tmp_path / "keys" / "jwt-signing.pem"
    barrier = threading.Barrier(3)
    kids = []

    def run():
        source = keys.KeySource(path=path)  # a worker process of its own
        barrier.wait()
        with db.transaction() as session:
            kids.append(keys.current_key(session, source).kid)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kids) == 3 and len(set(kids)) == 1
    with db.transaction() as session:
        assert session.scalars(sa.select(SigningKey.kid)).all() == kids[:1]
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    db.dispose()


def test_csv_import_reports_each_bad_row(platform):
    network = platform.network("import")
    csv_text = (
        "name,parent_name,postal_code,city,channels\n"
        "Direction régionale,,75001,Paris,in_person|phone\n"
        "Agence Nord,Direction régionale,75018,Paris,online\n"
        "Agence fantôme,Inconnue,75019,Paris,\n"
        "Agence Sud,Direction régionale,ABCDE,Paris,\n"
        "Agence Est,Direction régionale,75020,Paris,fax\n"
        ",,75011,Paris,\n"
    )
    with platform.db.transaction() as session:
        report = import_structures(session, network["code"], io.StringIO(csv_text))
    assert report.created == 2
    assert [line for line, _ in report.errors] == [4, 5, 6, 7]
    assert "parent_name" in report.errors[0][1] and "postal_code" in report.errors[1][1]
    assert "channels" in report.errors[2][1] and "name" in report.errors[3][1]
    listed = platform.client.get(f"/structures?network_id={network['id']}",
                                 headers=platform.admin()).get_json()
    names = {s["name"]: s for s in listed["items"]}
    assert names["Agence Nord"]["parent_id"] == names["Direction régionale"]["id"]
    created = [p for p in platform.outbox("structure.created") if p["network_id"] == network["id"]]
    assert len(created) == 2


def test_csv_import_of_an_oversized_field_is_refused_whole_not_a_crash(platform):
    network = platform.network("import-big")
    csv_text = ("name,parent_name,postal_code,city,channels\n"
                "Direction régionale,,75001,Paris,\n"
                f"{'x' * 200_000},,75002,Paris,\n"
                "\"Agence, extra column\",,75003,Paris,,,,\n")
    with pytest.raises(ValueError, match="ligne 3 illisible"):
        with platform.db.transaction() as session:
            import_structures(session, network["code"], io.StringIO(csv_text))
    listed = platform.client.get(f"/structures?network_id={network['id']}",
                                 headers=platform.admin()).get_json()
    assert listed["total"] == 0  # nothing half-imported


def test_csv_import_with_extra_columns_reports_the_row(platform):
    network = platform.network("import-extra")
    csv_text = ("name,parent_name,postal_code,city,channels\n"
                "Agence A,,75003,Paris,,surplus,encore\n")
    with platform.db.transaction() as session:
        report = import_structures(session, network["code"], io.StringIO(csv_text))
    assert report.created == 1 and report.errors == []


def test_csv_import_finds_the_network_whatever_the_case_of_its_code(platform):
    network = platform.network("ImportCase7")  # the API: codes are unique whatever their case
    csv_text = "name,parent_name,postal_code,city,channels\nAgence Casse,,75003,Paris,\n"
    with platform.db.transaction() as session:
        report = import_structures(session, "importcase7", io.StringIO(csv_text))
    assert report.created == 1 and report.errors == []
    listed = platform.client.get(f"/structures?network_id={network['id']}",
                                 headers=platform.admin()).get_json()
    assert [s["name"] for s in listed["items"]] == ["Agence Casse"]


def test_an_operator_gets_a_single_use_link_for_a_locked_out_admin_and_nothing_is_emailed(
        create_database, capsys, monkeypatch):
    from urllib.parse import parse_qs, urlsplit

    from services.identity import recover
    from services.identity.service import set_password_from_link

    url = create_database("identity_recover")
    migrate("identity", url)
    db = Database(url)
    bootstrap_admin(db, "first@spp.test", "une phrase de passe solide")
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_URL", "https://avis.example.gouv.fr")
    assert recover.main([" First@SPP.test "]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://avis.example.gouv.fr/mot-de-passe?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    with db.transaction() as session:
        assert session.scalar(sa.text(  # nothing to e-mail
            "SELECT count(*) FROM outbox WHERE event_type LIKE '%password%'")) == 0
        set_password_from_link(session, token, "une autre phrase solide")
    with db.transaction() as session, pytest.raises(Exception, match="Lien invalide"):
        set_password_from_link(session, token, "encore une phrase solide")  # single use
    assert recover.main(["nobody@spp.test"]) == 1
    assert "no active account" in capsys.readouterr().err
    assert recover.main([]) == 2
    db.dispose()
