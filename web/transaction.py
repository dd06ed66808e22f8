"""The unit of work at the edge: one commit per request, command or job; rollback on any error."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from workflow.db import SQLITE_BEGIN, db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit once when the block ends, roll back if it raises."""
    session = db.session()
    if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # A SQLite transaction that reads first and writes later fails at once ("database is locked") when
        # another process wrote in between; one that takes the write lock at BEGIN waits its turn instead.
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def commits(view: Callable) -> Callable:
    """Run ``view`` in one unit of work."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return view(*args, **kwargs)

    return wrapper
