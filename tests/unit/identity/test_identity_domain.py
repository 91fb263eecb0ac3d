"""identity's pure rules."""

import pytest

from services.chassis.permissions import Profile
from services.identity import domain
from services.identity.domain import Actor, Refused

ADMIN = Actor("a", Profile.ADMIN, None)
REFERENT = Actor("r", Profile.REFERENT, "n1")
AGENT = Actor("g", Profile.AGENT, "n1")


def test_password_policy_length_and_common_list_no_composition():
    assert domain.password_problems("tout en minuscules sans chiffre") == []
    assert domain.password_problems("court")
    assert domain.password_problems("azertyuiop12")
    assert domain.password_problems("AZERTYUIOP12")  # the list is case-insensitive
    assert len(domain.COMMON_PASSWORDS) > 20


@pytest.mark.parametrize("actor,profile,allowed", [
    (ADMIN, "admin", True), (ADMIN, "moderator", True), (ADMIN, "referent", True),
    (REFERENT, "agent", True), (REFERENT, "super_agent", True), (REFERENT, "referent", False),
    (REFERENT, "moderator", False), (REFERENT, "admin", False), (AGENT, "agent", False),
])
def test_grants(actor, profile, allowed):
    if allowed:
        domain.check_grant(actor, profile)
    else:
        with pytest.raises(Refused) as err:
            domain.check_grant(actor, profile)
        assert err.value.kind == "forbidden" and err.value.field == "profile"


def test_network_scope():
    domain.check_network_scope(ADMIN, "n2")
    domain.check_network_scope(REFERENT, "n1")
    with pytest.raises(Refused):
        domain.check_network_scope(REFERENT, "n2")
    with pytest.raises(Refused):
        domain.check_network_scope(Actor("m", Profile.MODERATOR, None), None)


def test_placement():
    domain.check_user_placement("moderator", None)
    domain.check_user_placement("admin", None)
    domain.check_user_placement("agent", "n1")
    for profile, network in (("moderator", "n1"), ("admin", "n1"), ("agent", None),
                             ("referent", None)):
        with pytest.raises(Refused) as err:
            domain.check_user_placement(profile, network)
        assert err.value.kind == "invalid" and err.value.field == "network_id"


def test_structures_in_network():
    domain.check_structures_in_network({"s1": "n1"}, ["s1"], "n1")
    with pytest.raises(Refused):
        domain.check_structures_in_network({"s1": "n2"}, ["s1"], "n1")
    with pytest.raises(Refused):
        domain.check_structures_in_network({}, ["ghost"], "n1")


def test_parent_rules():
    domain.check_parent(None, "n1", "n1", ["p"])
    with pytest.raises(Refused):
        domain.check_parent(None, "n1", None, [])
    with pytest.raises(Refused):
        domain.check_parent(None, "n1", "n2", ["p"])
    with pytest.raises(Refused):
        domain.check_parent("s", "n1", "n1", ["child", "s", "root"])


def test_link_token_hash_is_stable_and_not_the_token():
    assert domain.hash_link_token("abc") == domain.hash_link_token("abc")
    assert domain.hash_link_token("abc") != "abc"


def _rights(profile="agent", missions=("answer", "diagnostic"), network_id="n1",
            structure_ids=("s1", "s2")) -> dict:
    return {"profile": profile, "missions": list(missions), "network_id": network_id,
            "structure_ids": list(structure_ids)}


@pytest.mark.parametrize("after, lost", [
    (_rights(), False),
    (_rights(structure_ids=("s1", "s2", "s3")), False),  # one more structure
    (_rights(profile="super_agent"), False),  # everything an agent may, and validation
    (_rights(profile="admin", network_id=None), True),  # another scope: leaves the network
    (_rights(structure_ids=("s1",)), True),
    (_rights(missions=("answer",)), True),
    (_rights(network_id="n2", structure_ids=()), True),
    (_rights(profile="referent"), True),  # a referent no longer drafts answers
    (_rights(profile="moderator", network_id=None, structure_ids=()), True),
])
def test_which_changes_take_rights_away(after, lost):
    assert domain.loses_rights(_rights(), after) is lost


def test_a_demotion_takes_rights_away_even_without_other_change():
    assert domain.loses_rights(_rights(profile="super_agent"), _rights(profile="agent"))
    assert not domain.loses_rights(_rights(profile="agent", missions=()),
                                   _rights(profile="agent", missions=("answer",)))


def test_a_name_reads_as_one_line_in_its_own_order():
    from services.identity.schemas import UserIn

    good = {"email": "camille@example.org", "name": "Camille Martin", "profile": "agent"}
    assert "name" not in UserIn().validate(good)
    for bad in ["Nom\r\nBcc: attacker@evil.test", "\u202eadmin", "a\u2028b"]:
        assert UserIn().validate({**good, "name": bad})["name"] == [
            "Ce champ doit tenir sur une ligne, sans retour à la ligne ni caractère invisible "
            "de mise en forme."]
