"""Connecting to the ledger: engine options per backend, sessions, and the migration check.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (durable across process crashes, which is the
failure the guarantees are about) and a busy timeout, so several worker processes can share one file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from config.settings import ensure_sqlite_dir

MIGRATIONS = Path(__file__).with_name("migrations")


class LedgerNotMigrated(RuntimeError):
    """The database is missing tables or is behind the code: the operator must run `db upgrade`."""


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend; SQLite files get their folder created."""
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Take over transaction control from the sqlite3 module, so BEGIN is ours (see _sqlite_begin_immediate).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # A write transaction that starts as a reader and upgrades later can fail with "database is locked"
    # without waiting; BEGIN IMMEDIATE takes the write lock up front and honours busy_timeout.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process (pools are per process; forked workers build their own)."""
    return make_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- migrations ---------------------------------------------------------------------------------


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    # A throwaway engine: this runs in a worker's parent process before it forks, and pooled
    # connections must not be inherited by the children.
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def require_migrated(url: str) -> None:
    """Refuse to run against a database that is not at the code's schema version."""
    current = current_revision(url)
    head = head_revision()
    if current != head:
        state = "has no refundsync tables" if current is None else f"is at schema {current}, code needs {head}"
        raise LedgerNotMigrated(
            f"the ledger database {state}; run `refundsync db upgrade` (with the same REFUNDSYNC_DATABASE_URL)"
        )
