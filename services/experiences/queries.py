"""Experiences's data access: the caller's scope, the selects of the use cases, and the
statements the hot paths build once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased

from services.chassis import replica
from services.chassis.auth import Principal
from services.chassis.db import LIKE_ESCAPE, contains_pattern, is_postgres
from services.chassis.pagination import count
from services.experiences import domain
from services.experiences.domain import PUBLISHED, ScopeKind, Status
from services.experiences.models import (
    Comment,
    Experience,
    ImprovementAction,
    Network,
    Structure,
    improvement_action_experiences,
)

_PUBLISHED = sorted(s.value for s in PUBLISHED)
_link = improvement_action_experiences


# Scope ----------------------------------------------------------------------------------------

class Scope:
    """Where a staff member works: everything, a network, or structures (with their children)."""

    def __init__(self, session: Session, principal: Principal, include_children: bool = True):
        self.network_id = principal.network_id
        self.kind = domain.scope_kind(principal.profile, principal.network_id)
        self.structure_ids: set[str] = set()
        if self.kind is ScopeKind.STRUCTURES:
            roots = list(principal.structure_ids)
            self.structure_ids = replica.subtree_ids(session, Structure, roots) \
                if include_children else set(roots)

    def _covers(self, network_id: str | None, structure_id: str | None) -> bool:
        if self.kind is ScopeKind.ALL:
            return True
        if self.kind is ScopeKind.NETWORK:
            return network_id is not None and network_id == self.network_id
        if self.kind is ScopeKind.STRUCTURES:
            return structure_id in self.structure_ids
        return False

    def covers(self, exp: Experience) -> bool:
        return self._covers(exp.network_id, exp.structure_id)

    def covers_structure(self, structure: Structure) -> bool:
        return self._covers(structure.network_id, structure.id)

    def condition(self):
        """The experiences of the scope."""
        if self.kind is ScopeKind.ALL:
            return sa.true()
        if self.kind is ScopeKind.NETWORK:
            return Experience.network_id == self.network_id
        if self.kind is ScopeKind.STRUCTURES:
            return Experience.structure_id.in_(sorted(self.structure_ids))
        return sa.false()

    def action_condition(self):
        """The improvement actions of the scope (by their structure)."""
        if self.kind is ScopeKind.ALL:
            return sa.true()
        if self.kind is ScopeKind.NETWORK:
            return ImprovementAction.structure_id.in_(
                sa.select(Structure.id).where(Structure.network_id == self.network_id))
        return ImprovementAction.structure_id.in_(sorted(self.structure_ids))


# Experiences ----------------------------------------------------------------------------------

INSERT_EXPERIENCE = Experience.__table__.insert()  # Core: the ORM bulk path costs more

# Built once: Session.get builds its select, and works out its cache key, at every call.
# populate_existing: an approval earlier in the same batch may have changed the row by a plain
# UPDATE, which an object already in the session would not show.
EXPERIENCE_FOR_UPDATE = (sa.select(Experience).where(Experience.id == sa.bindparam("exp_id"))
                         .with_for_update().execution_options(populate_existing=True))

# The approval, one per experience, in columns and statements built once: loading and flushing
# an ORM object cost more than the rest of the handler. The select names the mapped columns so
# that the session flushes first what earlier events of the same batch changed.
_experiences = Experience.__table__
TO_APPROVE = (sa.select(Experience.id, Experience.status, Experience.title,
                        Experience.structure_hint, Experience.author_email, Experience.author_name)
              .where(Experience.id == sa.bindparam("exp_id")).with_for_update())
APPROVE = (_experiences.update().where(_experiences.c.id == sa.bindparam("exp_id"))
           .values(status=sa.bindparam("new_status"), published_at=sa.bindparam("at"),
                   structure_id=sa.bindparam("to_structure"), network_id=sa.bindparam("to_network"),
                   published_body=sa.bindparam("text"), edited=sa.bindparam("was_edited"),
                   title=sa.bindparam("public_title"),
                   structure_hint=sa.bindparam("public_hint"),
                   author_name=sa.bindparam("public_author"),
                   submitted_title=sa.bindparam("own_title"),
                   submitted_structure_hint=sa.bindparam("own_hint"),
                   submitted_author_name=sa.bindparam("own_author")))


def experience(session: Session, experience_id: str, lock: bool = False) -> Experience | None:
    query = sa.select(Experience).where(Experience.id == experience_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def in_structure(session: Session, structure_id: str, include_children: bool):
    """The experiences of a structure, or of it and those below it."""
    if not include_children:
        return Experience.structure_id == structure_id
    return Experience.structure_id.in_(
        sorted(replica.subtree_ids(session, Structure, [structure_id])))


def in_period(query: sa.Select, args: dict) -> sa.Select:
    """Published between `date_from` and `date_to` (whole days, UTC), where given."""
    if args.get("date_from"):
        query = query.where(Experience.published_at >= datetime.combine(
            args["date_from"], time.min, UTC))
    if args.get("date_to"):
        query = query.where(Experience.published_at <= datetime.combine(
            args["date_to"], time.max, UTC))
    return query


_STAFF_ORDER = (Experience.published_at.asc().nulls_first(), Experience.submitted_at,
                Experience.id)


def experience_list(session: Session, scope: Scope | None, args: dict) -> sa.Select:
    """The list's experiences: the public sees published ones, newest first; staff their
    scope, the oldest to process first."""
    query = sa.select(Experience)
    if scope is None:
        query = query.where(Experience.status.in_(_PUBLISHED))
        order = (Experience.published_at.desc(), Experience.id)
    else:
        query = query.where(scope.condition())
        order = _STAFF_ORDER
    if args.get("structure_id"):
        query = query.where(in_structure(session, args["structure_id"],
                                         args["include_children"]))
    return _filtered(session, query, args, scope).order_by(*order)


# A staff scope of several structures (a region with its offices) on PostgreSQL: PostgreSQL 15
# does not merge the ordered index scans of an IN list, so `structure_id IN (…)` reads and sorts
# every row of the scope for one page. Instead each structure's first rows are read in the list's
# order from its own index (migration 0007), and those merged. Past this many rows (offset and
# page), reading that many per structure costs more than the plain query.
MERGE_UP_TO = 500


# How many words of a search the planner is asked about, the longest (the likeliest rare) first.
WORDS_ESTIMATED = 8


def reads_trigrams(session: Session, scope: Scope | None, args: dict) -> bool:
    """Whether a text search over several structures (PostgreSQL) is read by the plain query on
    the trigram index (0009) rather than structure by structure: where the planner expects the
    rarest of its words in fewer experiences of the whole table than the scope holds. The index
    then reads less than the scope's lists would; a frequent word stops those lists early, and
    they never read more than the scope, where the index's work grows with the table."""
    if not args.get("q") or not _by_structure(session, scope):
        return False
    words = sorted(set(re.findall(r"[^\W_]+", args["q"].lower())), key=len, reverse=True)
    if not words:
        return False
    in_scope = sa.select(Experience.id).where(scope.condition())
    if args.get("structure_id"):
        in_scope = in_scope.where(in_structure(session, args["structure_id"],
                                               args["include_children"]))
    each_word = [sa.select(Experience.id).where(_in_text(word, f"word_{n}"))
                 for n, word in enumerate(words[:WORDS_ESTIMATED])]
    plan = session.execute(_Explain(sa.union_all(
        _filtered(session, in_scope, {**args, "q": None}), *each_word))).scalar()[0]["Plan"]
    scope_rows, *word_rows = (branch["Plan Rows"] for branch in plan["Plans"])
    return min(word_rows) < scope_rows


def merged_page(session: Session, scope: Scope | None, args: dict, page: int, per_page: int,
                trigrams: bool = False) -> list[Experience] | None:
    """The page `experience_list` would give, read structure by structure; None where that does
    not apply (the public list, a network's scope, a single structure, SQLite, late pages, a
    search read on the trigram index: see reads_trigrams)."""
    end = page * per_page
    if end > MERGE_UP_TO or trigrams or not _by_structure(session, scope):
        return None
    ids, query = _each_structure(session, scope, args, sa.select(Experience))
    each = query.order_by(*_STAFF_ORDER).limit(end).lateral("each_structure")
    row = aliased(Experience, each)
    merged = (sa.select(row).select_from(ids).join(each, sa.true())
              .order_by(row.published_at.asc().nulls_first(), row.submitted_at, row.id)
              .limit(per_page).offset(end - per_page))
    return list(session.scalars(merged))


def count_in_scope(session: Session, scope: Scope | None, args: dict, query: sa.Select,
                   cap: int | None, trigrams: bool = False) -> int:
    """The rows of `query` (experience_list's), up to cap + 1 with a cap. A capped count over
    several structures reads them structure by structure: given `LIMIT`, PostgreSQL would
    otherwise bet on a scan of the whole table finding enough rows early, and read it all when
    the search matches few. Not for a search read on the trigram index (reads_trigrams): the
    planner expects few rows there, and takes no such bet."""
    if cap is None or trigrams or not _by_structure(session, scope):
        return count(session, query, cap)
    ids, query = _each_structure(session, scope, args, sa.select(Experience.id))
    each = query.limit(cap + 1).lateral("each_structure")  # LIMIT: read in the loop, not joined
    found = sa.select(each.c.id).select_from(ids).join(each, sa.true()).limit(cap + 1)
    return session.scalar(sa.select(sa.func.count()).select_from(found.subquery())) or 0


class _Explain(sa.sql.expression.Executable, sa.sql.expression.ClauseElement):
    """EXPLAIN (FORMAT JSON) of a select: the planner's estimates, nothing run."""

    inherit_cache = False

    def __init__(self, select: sa.Select):
        self.select = select


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.select, **kw)


def _by_structure(session: Session, scope: Scope | None) -> bool:
    return scope is not None and scope.kind is ScopeKind.STRUCTURES and \
        len(scope.structure_ids) > 1 and is_postgres(session.get_bind())


def _each_structure(session: Session, scope: Scope, args: dict, select: sa.Select):
    """The scope's structure ids as a table, and `select` filtered for one of them."""
    ids = sa.func.unnest(sa.bindparam("scope_ids", sorted(scope.structure_ids),
                                      type_=postgresql.ARRAY(sa.String))) \
        .table_valued("structure_id").render_derived(name="scope_structures")
    query = select.where(Experience.structure_id == ids.c.structure_id)
    if args.get("structure_id"):
        query = query.where(in_structure(session, args["structure_id"], args["include_children"]))
    return ids, _filtered(session, query, args, scope)


def _filtered(session: Session, query: sa.Select, args: dict,
              scope: Scope | None = None) -> sa.Select:
    for name in ("status", "network_id", "channel", "feeling", "postal_code"):
        if args.get(name):
            query = query.where(getattr(Experience, name) == args[name])
    if args.get("department"):
        query = query.where(sa.or_(*(Experience.postal_code.startswith(p, autoescape=True)
                                     for p in domain.postal_prefixes(args["department"]))))
    if "answered" in args:
        query = query.where((Experience.status == Status.ANSWERED) if args["answered"]
                            else (Experience.status != Status.ANSWERED))
    if args.get("q"):
        # The structure's name too: « CAF de Lyon » finds what was routed there.
        named = _named_structures(session, args["q"], scope)
        in_text = _in_text(args["q"], "q_pattern")
        query = query.where(sa.or_(in_text, Experience.structure_id.in_(named)) if named
                            else in_text)
    return in_period(query, args)


def _named_structures(session: Session, text: str, scope: Scope | None) -> list[str]:
    """The structures whose name holds `text`, among the scope's where it lists them: read
    once per request (a list's page, its count and the planner's estimate share it) rather
    than as a subquery in each, which read every structure's name each time."""
    scoped = scope is not None and scope.kind is ScopeKind.STRUCTURES
    key = ("named_structures", text, scoped and frozenset(scope.structure_ids))
    if key not in session.info:
        query = sa.select(Structure.id).where(
            Structure.name.ilike(contains_pattern(text), escape=LIKE_ESCAPE))
        if scoped:
            query = query.where(Structure.id.in_(sorted(scope.structure_ids)))
        session.info[key] = sorted(session.scalars(query))
    return session.info[key]


def _in_text(text: str, name: str):
    # The words written into the SQL, not bound: a prepared statement's generic plan would not
    # know them, and would take the trigram index (0009) for a frequent word too.
    word = sa.bindparam(name, contains_pattern(text), literal_execute=True)
    # search_text is the title and the public text lower-cased: LIKE, not ILIKE (0008).
    return Experience.search_text.like(sa.func.lower(word), escape=LIKE_ESCAPE)


def filter_choices(session: Session, network_id: str | None) -> dict:
    """What the public list's filters offer: every network; the structures of the chosen one."""
    networks = [{"id": nid, "name": name or code} for nid, code, name in session.execute(
        sa.select(Network.id, Network.code, Network.name).order_by(Network.name, Network.id))]
    structures, truncated = [], False
    if network_id:
        structures, truncated = domain.tree_order(session.execute(
            sa.select(Structure.id, Structure.parent_id, Structure.name)
            .where(Structure.network_id == network_id)).all())
    return {"networks": networks, "structures": structures, "structures_truncated": truncated}


def structure_names(session: Session, ids: Iterable[str | None]) -> dict[str, str]:
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return dict(session.execute(sa.select(Structure.id, Structure.name)
                                .where(Structure.id.in_(ids))).all())


def target_delays(session: Session, network_ids: Iterable[str | None]) -> dict[str, int]:
    ids = sorted({i for i in network_ids if i})
    if not ids:
        return {}
    return dict(session.execute(sa.select(Network.id, Network.target_delay_days)
                                .where(Network.id.in_(ids))).all())


def requires_validation(session: Session, network_id: str | None) -> bool:
    network = session.get(Network, network_id) if network_id else None
    return True if network is None else network.requires_validation  # unknown: the safe side


def comments(session: Session, experience_id: str, network_id: str | None) -> list[Comment]:
    """Internal comments; a network's staff do not read those written under another network."""
    query = sa.select(Comment).where(Comment.experience_id == experience_id)
    if network_id is not None:  # moderators and admins (no network) read them all
        query = query.where(sa.or_(Comment.network_id.is_(None),
                                   Comment.network_id == network_id))
    return list(session.scalars(query.order_by(Comment.created_at, Comment.id)))


def similar_answered(session: Session, exp: Experience, words: list[str]) -> list:
    """(experience, score): the answered experiences of its network closest to those words."""
    if not words or not is_postgres(session):
        return []
    # the very expression of the GIN index ix_experiences_fts (migration 0002)
    document = sa.func.to_tsvector(
        sa.literal_column("'french'"),
        Experience.title.op("||")(sa.literal_column("' '")).op("||")(
            sa.func.coalesce(Experience.published_body, sa.literal_column("''"))))
    query = sa.func.to_tsquery("french", " | ".join(words))
    rank = sa.func.ts_rank(document, query).label("score")
    return list(session.execute(
        sa.select(Experience, rank)
        .where(Experience.network_id == exp.network_id, Experience.id != exp.id,
               Experience.status == Status.ANSWERED, document.op("@@")(query))
        .order_by(rank.desc()).limit(5)).all())


# Improvement actions --------------------------------------------------------------------------

def action(session: Session, action_id: str, lock: bool = False) -> ImprovementAction | None:
    query = sa.select(ImprovementAction).where(ImprovementAction.id == action_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def actions_by_experience(session: Session, experience_ids: list[str]) -> dict[str, list]:
    """Improvement actions linked to each experience."""
    if not experience_ids:
        return {}
    rows = session.execute(
        sa.select(_link.c.experience_id, ImprovementAction)
        .join(ImprovementAction, ImprovementAction.id == _link.c.action_id)
        .where(_link.c.experience_id.in_(experience_ids))
        .order_by(ImprovementAction.date)
    ).all()
    found: dict[str, list] = {}
    for exp_id, linked in rows:
        found.setdefault(exp_id, []).append(linked)
    return found


def experience_ids_by_action(session: Session, action_ids: list[str]) -> dict[str, list[str]]:
    """The experiences each action is linked to, sorted."""
    found: dict[str, list[str]] = {}
    if action_ids:
        for action_id, exp_id in session.execute(
                sa.select(_link.c.action_id, _link.c.experience_id)
                .where(_link.c.action_id.in_(action_ids))):
            found.setdefault(action_id, []).append(exp_id)
    return {action_id: sorted(ids) for action_id, ids in found.items()}


def linked_ids(session: Session, action_id: str) -> list[str]:
    return sorted(session.scalars(sa.select(_link.c.experience_id)
                                  .where(_link.c.action_id == action_id)))


def link(session: Session, action_id: str, experience_ids: list[str]) -> None:
    session.execute(sa.insert(_link),
                    [{"action_id": action_id, "experience_id": i} for i in experience_ids])


def unlink_all(session: Session, action_id: str) -> None:
    session.execute(sa.delete(_link).where(_link.c.action_id == action_id))


def action_list(scope: Scope | None, args: dict) -> sa.Select:
    """Improvement actions, newest first: of a scope, a structure, an experience, where given."""
    query = sa.select(ImprovementAction)
    if scope is not None:
        query = query.where(scope.action_condition())
    if args.get("structure_id"):
        query = query.where(ImprovementAction.structure_id == args["structure_id"])
    if args.get("experience_id"):
        query = query.where(ImprovementAction.id.in_(
            sa.select(_link.c.action_id).where(_link.c.experience_id == args["experience_id"])))
    return query.order_by(ImprovementAction.date.desc(), ImprovementAction.id)


def structures_in(session: Session, ids: list[str]) -> list[Structure]:
    return list(session.scalars(sa.select(Structure).where(Structure.id.in_(ids))))


def experiences_in(session: Session, ids: list[str]) -> list[Experience]:
    return list(session.scalars(sa.select(Experience).where(Experience.id.in_(ids)))) \
        if ids else []


# Dashboards ----------------------------------------------------------------------------------

def _seconds_between(session: Session, later, earlier):
    if is_postgres(session):
        return sa.func.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400


def _month_of(session: Session, column):
    """'YYYY-MM' of a timestamp, in UTC like the period bounds."""
    if is_postgres(session):
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _count_if(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def dashboard_counts(session: Session, condition, args: dict) -> sa.Row:
    """(published, answered, sum of answer delays in seconds, answered within the network's
    target, evaluations, useful ones, negative ones, negative ones turned positive)."""
    delay = _seconds_between(session, Experience.first_response_at, Experience.published_at)
    answered = Experience.first_response_at.is_not(None)
    evaluated = Experience.evaluated_at.is_not(None)
    negative = sa.and_(evaluated, Experience.feeling == "negative")
    target = sa.func.coalesce(Network.target_delay_days, domain.DEFAULT_TARGET_DELAY_DAYS) * 86400
    return session.execute(in_period(
        sa.select(
            sa.func.count(), _count_if(answered), sa.func.sum(sa.case((answered, delay))),
            _count_if(sa.and_(answered, delay <= target)), _count_if(evaluated),
            _count_if(sa.and_(evaluated, Experience.evaluation_useful.is_(True))),
            _count_if(negative),
            _count_if(sa.and_(negative, Experience.evaluation_feeling_after == "positive")),
        ).select_from(Experience)
        .outerjoin(Network, Network.id == Experience.network_id)
        .where(condition, Experience.status.in_(_PUBLISHED)), args)).one()


def dashboard_months(session: Session, condition, args: dict) -> list[sa.Row]:
    """(month, published, answered) per month of publication."""
    month = _month_of(session, Experience.published_at)
    answered = Experience.first_response_at.is_not(None)
    return list(session.execute(in_period(
        sa.select(month, sa.func.count(), _count_if(answered)).select_from(Experience)
        .where(condition, Experience.status.in_(_PUBLISHED))
        .group_by(month).order_by(month), args)).all())


# Open data -----------------------------------------------------------------------------------

def structure_tree(session: Session) -> dict[str, tuple[str, str | None]]:
    """{structure: (name, parent)} of every structure."""
    return {sid: (name, parent) for sid, name, parent in
            session.execute(sa.select(Structure.id, Structure.name, Structure.parent_id))}


# What the open-data rows are made of, read as plain rows: whole ORM objects cost more CPU
# per row (docs/benchmarks.md, "Production volume (#22)").
_OPEN_DATA = (Experience.id, Experience.title, Experience.published_body, Experience.feeling,
              Experience.status, Experience.network_id, Experience.structure_id,
              Experience.postal_code, Experience.occurred_on, Experience.published_at,
              Experience.first_response_at, Experience.general_tags, Experience.business_tags,
              Experience.channel_feelings, Experience.improvement_to_consider,
              Experience.response_body)


def published_batches(session: Session, size: int = 1000) -> Iterator[list[sa.Row]]:
    """Published experiences, oldest first, in batches of rows with the columns of the open
    data (attributes named as the model's); never all in memory: a server-side cursor."""
    query = (sa.select(*_OPEN_DATA)
             .where(Experience.status.in_(_PUBLISHED))
             .order_by(Experience.published_at, Experience.id)
             .execution_options(yield_per=size))
    for batch in session.execute(query).partitions():
        yield list(batch)
