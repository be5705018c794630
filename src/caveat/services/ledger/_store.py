"""Database access shared by the ledger services: locking, the tree size, stored hashes.

Everything here takes a Core ``Connection`` inside a transaction the caller owns, so
the sequencer, checkpoint publication and proofs all see one consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, func, select, text

from caveat.adapters.db.models import Base
from caveat.domain.errors import IntegrityError
from caveat.domain.ledger import merkle

NODES = Base.metadata.tables["ledger_nodes"]
# Any fixed 64-bit number works: it names "the ledger sequencer" among advisory locks.
SEQUENCER_LOCK_KEY = 0x43415645_41544C47  # "CAVEATLG"
_DUMMY = bytes(merkle.HASH_SIZE)


class MissingNode(IntegrityError):
    """Raised when a subtree hash the tree size promises is not stored (damaged ledger)."""

    code = "ledger_node_missing"


def lock_sequencer(conn: Connection) -> None:
    """Serialise ledger writers: a transaction-scoped advisory lock on PostgreSQL.

    On SQLite every writing transaction already holds the database write lock from
    ``BEGIN IMMEDIATE``, so nothing more is needed there.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK_KEY})


def tree_size(conn: Connection) -> int:
    """The number of integrated leaves (one past the highest stored leaf hash)."""
    top = conn.scalar(select(func.max(NODES.c.idx)).where(NODES.c.level == 0))
    return 0 if top is None else int(top) + 1


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def store_nodes(conn: Connection, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Bulk-insert (level, index, hash) rows (the hot path): one statement over arrays on
    PostgreSQL, the driver's executemany on SQLite."""
    if nodes and conn.dialect.name == "postgresql":
        # psycopg's executemany sends one INSERT per row: 1.5-1.9 times as long for a
        # batch as this one statement (the same for the UPDATE below).
        levels, indices, hashes = zip(*nodes, strict=True)
        conn.exec_driver_sql(
            "INSERT INTO ledger_nodes (level, idx, hash)"
            " SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[])",
            (list(levels), list(indices), list(hashes)),
        )
    elif nodes:
        m = _marker(conn)
        conn.exec_driver_sql(
            f"INSERT INTO ledger_nodes (level, idx, hash) VALUES ({m}, {m}, {m})",  # noqa: S608
            list(nodes),
        )


def assign_leaves(conn: Connection, assigned: Sequence[tuple[int, int]]) -> None:
    """Set ``leaf_index`` for (leaf index, seq) pairs: one statement over arrays on
    PostgreSQL, the driver's executemany on SQLite."""
    if assigned and conn.dialect.name == "postgresql":
        indices, seqs = zip(*assigned, strict=True)
        conn.exec_driver_sql(
            "UPDATE events SET leaf_index = a.leaf_index"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS a(leaf_index, seq)"
            " WHERE events.seq = a.seq",
            (list(indices), list(seqs)),
        )
    elif assigned:
        m = _marker(conn)
        conn.exec_driver_sql(
            f"UPDATE events SET leaf_index = {m} WHERE seq = {m}",  # noqa: S608
            list(assigned),
        )


def assign_range(conn: Connection, first: int, last: int, offset: int) -> None:
    """Set ``leaf_index = seq + offset`` for every event with seq in [first, last]."""
    m = _marker(conn)
    conn.exec_driver_sql(
        f"UPDATE events SET leaf_index = seq + {m} WHERE seq BETWEEN {m} AND {m}",  # noqa: S608
        (offset, first, last),
    )


class _Recorder:
    """A HashSource that only notes which hashes a computation asks for."""

    def __init__(self) -> None:
        self.wanted: list[tuple[int, int]] = []

    def stored_hash(self, level: int, index: int) -> bytes:
        self.wanted.append((level, index))
        return _DUMMY


class PrefetchedSource:
    """A HashSource over a fixed set of stored hashes fetched in one query.

    Which subtree hashes a root or proof needs depends only on sizes and indices, not
    on hash values; so a dry run with a recorder finds them, one ``IN`` query loads
    them, and the real computation runs in memory: one round trip per proof.
    """

    def __init__(self, hashes: dict[tuple[int, int], bytes]) -> None:
        self._hashes = hashes

    @classmethod
    def load(cls, conn: Connection, keys: Iterable[tuple[int, int]]) -> PrefetchedSource:
        """Fetch the hashes at ``keys`` (level, index)."""
        by_level: dict[int, set[int]] = {}
        for level, index in keys:
            by_level.setdefault(level, set()).add(index)
        if not by_level:
            return cls({})
        # One branch per level, each a primary-key range scan (a row-value IN list makes
        # SQLite scan the whole table). Built as driver SQL: statement construction in
        # SQLAlchemy would cost more than the query on this hot path.
        m = _marker(conn)
        branches, params = [], []
        for level, indices in sorted(by_level.items()):
            marks = ", ".join([m] * len(indices))
            branches.append(
                # Only placeholders are interpolated; every value is a bound parameter.
                f"SELECT level, idx, hash FROM ledger_nodes WHERE level = {m} AND idx IN ({marks})"  # noqa: S608
            )
            params += [level, *sorted(indices)]
        rows = conn.exec_driver_sql(" UNION ALL ".join(branches), tuple(params))
        return cls({(int(lv), int(i)): bytes(h) for lv, i, h in rows})

    def stored_hash(self, level: int, index: int) -> bytes:
        """The stored hash; MissingNode if the database lacks it."""
        try:
            return self._hashes[(level, index)]
        except KeyError:
            raise MissingNode(f"ledger node ({level}, {index}) is not stored") from None


Compute = Callable[..., object]


def plan(compute: Compute, *args: int) -> list[tuple[int, int]]:
    """The stored hashes ``compute(source, *args)`` will read (a dry run)."""
    recorder = _Recorder()
    compute(recorder, *args)
    return recorder.wanted


def source_for(conn: Connection, compute: Compute, *args: int) -> PrefetchedSource:
    """A HashSource preloaded with exactly what ``compute(source, *args)`` needs."""
    return PrefetchedSource.load(conn, plan(compute, *args))


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one snapshot for all its statements.

    PostgreSQL's default READ COMMITTED gives each statement a fresh snapshot, so a
    verifier reading entries and then node hashes could see an integration commit in
    between and report a disagreement that is not there; REPEATABLE READ prevents it.
    SQLite's read transactions already keep one snapshot.
    """
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn
