"""The unit of work at the edge: one commit per request, command or job; rollback on any error."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from workflow.db import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit once when the block ends, roll back if it raises."""
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
