"""A region's list on PostgreSQL is read office by office and merged (queries.merged_page), or,
for a word the planner expects rarely, by the plain query on the trigram index: the same pages,
in the same order, with the same total, as the plain query over the whole scope."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.chassis.auth import Principal
from services.chassis.pagination import count, page_of
from services.experiences import queries, service

pytestmark = pytest.mark.integration

CASES = [
    {},
    {"q": "guichet"},
    {"q": "introuvable"},
    {"q": "structure loc"},  # a structure's name
    {"answered": False},
    {"status": "published"},
    {"structure_id": "loc", "include_children": False},
]


def _args(ids: dict, case: dict, page: int, per_page: int) -> dict:
    args = {"include_children": True, "page": page, "per_page": per_page, **case}
    if "structure_id" in case:
        args["structure_id"] = ids[case["structure_id"]]
    return args


def test_a_regions_pages_are_the_plain_querys_pages(env):
    ids = env.tree(requires_validation=False)
    made = {"loc": [], "reg": [], "side": []}
    for n in range(16):
        where = ("loc", "reg", "loc", "side")[n % 4]
        title = "Accueil au guichet" if n % 3 == 0 else "Attente au téléphone"
        made[where].append(env.published(ids, structure=where, title=f"{title} {n}"))
    env.submit(title="Pas encore modérée")  # no structure yet: in no office's list
    regional = Principal(user_id="u-reg", profile="super_agent", network_id=ids["net"],
                         structure_ids=(ids["reg"],))
    in_scope = set(made["loc"] + made["reg"])

    with env.db.transaction() as session:
        scope = queries.Scope(session, regional)
        assert scope.structure_ids == {ids["reg"], ids["loc"]}
        for case in CASES:
            for per_page in (2, 5):
                for page in (1, 2, 3, 7):
                    args = _args(ids, case, page, per_page)
                    plain = page_of(session, queries.experience_list(session, scope, args),
                                    page, per_page)
                    merged = queries.merged_page(session, scope, args, page, per_page)
                    assert merged is not None, "a region's early page is merged"
                    assert [e.id for e in merged] == [e.id for e in plain["items"]], (case, page)
                    assert {e.id for e in merged} <= in_scope
            # The count too, capped or not, read structure by structure.
            args = _args(ids, case, 1, 5)
            query = queries.experience_list(session, scope, args)
            every = count(session, query)
            for cap in (None, 1, 3, 100):
                capped = queries.count_in_scope(session, scope, args, query, cap)
                assert capped == (every if cap is None else min(every, cap + 1)), (case, cap)
        # A late page, past what is worth merging, goes the plain way.
        late = queries.MERGE_UP_TO // 20 + 1
        assert queries.merged_page(session, scope, _args(ids, {}, late, 20), late, 20) is None

    # Through the API: the whole list, page after page, holds each experience of the scope once.
    headers = env.headers("super_agent", ids, structures=["reg"])
    seen, page = [], 1
    while True:
        body = env.client.get(f"/experiences?include_children=true&per_page=3&page={page}",
                              headers=headers).json
        seen += [item["id"] for item in body["items"]]
        if page * 3 >= body["total"]:
            break
        page += 1
    assert sorted(seen) == sorted(in_scope) and body["total"] == len(in_scope)


def test_a_single_office_and_the_public_list_are_not_merged(env):
    ids = env.tree(requires_validation=False)
    env.published(ids, structure="loc")
    office = Principal(user_id="u-loc", profile="agent", network_id=ids["net"],
                       structure_ids=(ids["loc"],))
    with env.db.transaction() as session:
        args = _args(ids, {}, 1, 20)
        assert queries.merged_page(session, queries.Scope(session, office), args, 1, 20) is None
        assert queries.merged_page(session, None, args, 1, 20) is None


def test_a_text_search_stops_counting_past_the_cap(env, monkeypatch):
    monkeypatch.setattr(service, "SEARCH_COUNT_CAP", 3)
    ids = env.tree(requires_validation=False)
    for n in range(6):
        env.published(ids, structure=("loc", "reg")[n % 2], title=f"Accueil au guichet-bis {n}")
    env.published(ids, structure="loc", title="Attente au standard-bis")
    region = env.headers("super_agent", ids, structures=["reg"])
    for headers in (None, region):  # the public list, and a region's (merged) list
        def listing(headers=headers, **params):
            return env.client.get("/experiences", query_string={"include_children": "true",
                                                               **params},
                                  headers=headers or {}).json

        first = listing(q="guichet-bis", per_page=2)
        assert (first["total"], first["total_capped"], len(first["items"])) == (3, True, 2)
        # Past the cap the pages still come; a page that is not full ends the list exactly.
        assert len(listing(q="guichet-bis", per_page=2, page=3)["items"]) == 2
        end = listing(q="guichet-bis", per_page=4, page=2)
        assert (end["total"], len(end["items"])) == (6, 2) and "total_capped" not in end
        # Without a search, or under the cap, the count is exact.
        assert "total_capped" not in listing(per_page=2)
        few = listing(q="standard-bis", per_page=2)
        assert few["total"] == 1 and "total_capped" not in few
        # Any case; not across the title and the text.
        assert len(listing(q="GUICHET-Bis", per_page=50)["items"]) == 6
        assert listing(q="standard-bis texte", per_page=50)["items"] == []
    if env.db.engine.dialect.name == "postgresql":  # SQLite's lower() knows ASCII only
        accented = env.published(ids, structure="loc", title="Accueil à l'ÉCOLE-bis")
        found = env.client.get("/experiences", query_string={"q": "école-BIS"}).json
        assert [item["id"] for item in found["items"]] == [accented]


# A frequent word, a rare one, one in no text, a structure's name, and quotes and a % taken
# literally.
SEARCHES = {"guichet": "frequent", "rarissime": "rare", "introuvable": None,
            "structure loc": "loc", "l'accueil à 50%": "quoted",
            # Written into the SQL (queries._in_text): SQL's own quoting, backslashes kept.
            "\\' OR '1'='1' --": None, "50\\%": None}


def _searched(env) -> tuple[dict, Principal, dict]:
    ids = env.tree(requires_validation=False)
    found = {where: [] for where in SEARCHES.values() if where}
    for n in range(24):
        where = ("loc", "reg", "loc", "side")[n % 4]
        title = ("Rarissime attente" if n == 5 else "L'accueil à 50% seulement" if n == 9
                 else "Accueil au guichet" if n % 3 else "Attente au standard")
        exp_id = env.published(ids, structure=where, title=f"{title} {n}")
        if where == "side":
            continue
        found["loc"] += [exp_id] if where == "loc" else []
        for word, label in (("guichet", "frequent"), ("Rarissime", "rare"),
                            ("50%", "quoted")):
            found[label] += [exp_id] if word in title else []
    regional = Principal(user_id="u-reg", profile="super_agent", network_id=ids["net"],
                         structure_ids=(ids["reg"],))
    return ids, regional, found


def test_a_regions_search_is_the_plain_querys_on_either_path(env):
    ids, regional, found = _searched(env)
    with env.db.transaction() as session:
        scope = queries.Scope(session, regional)
        assert not queries.reads_trigrams(session, scope, _args(ids, {}, 1, 5))
        assert not queries.reads_trigrams(session, scope, _args(ids, {"q": "%_"}, 1, 5))
        for word in SEARCHES:
            args = _args(ids, {"q": word}, 1, 5)
            assert queries.reads_trigrams(session, scope, args) in (True, False)
            # On the trigram index: the plain query; else merged. The same pages.
            assert queries.merged_page(session, scope, args, 1, 5, trigrams=True) is None
            for page in (1, 2, 3):
                args = _args(ids, {"q": word}, page, 5)
                plain = page_of(session, queries.experience_list(session, scope, args), page, 5)
                merged = queries.merged_page(session, scope, args, page, 5)
                assert [e.id for e in merged] == [e.id for e in plain["items"]], (word, page)
            query = queries.experience_list(session, scope, args)
            every = count(session, query)
            assert every == len(found.get(SEARCHES[word], [])), word
            for trigrams in (True, False):
                for cap in (1, 3, 100):
                    assert queries.count_in_scope(session, scope, args, query, cap, trigrams) \
                        == min(every, cap + 1), (word, trigrams, cap)
        index = session.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                        "'ix_experiences_search_trgm'")).scalar()
        assert "gin_trgm_ops" in index


@pytest.mark.parametrize("database", ["env", "sqlite_env"])
def test_a_search_finds_each_match_of_the_scope_once(database, request):
    env = request.getfixturevalue(database)
    ids, _, found = _searched(env)
    headers = env.headers("super_agent", ids, structures=["reg"])
    for word, label in SEARCHES.items():
        seen, page = [], 1
        while True:
            body = env.client.get("/experiences", headers=headers, query_string={
                "q": word, "include_children": "true", "per_page": 3, "page": page}).json
            seen += [item["id"] for item in body["items"]]
            if page * 3 >= body["total"]:
                break
            page += 1
        assert sorted(seen) == sorted(found.get(label, [])) and body["total"] == len(seen), word
