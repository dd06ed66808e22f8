"""Keep a worker's long-lived objects out of Python's full garbage-collection passes.

A worker builds what it keeps for its whole life during its first requests: the SOP documents, the working
calendars, compiled templates and statements, Babel's locale data — about 175,000 objects. Python's full
(generation 2) collection walks every one of them whenever the heap has grown by a quarter: 110–160 ms on
this project's 2-core machine, once in a few hundred requests, and that pause set the p99 of the staff pages
(bench/analysis.md). So a worker collects and then freezes its heap (``gc.freeze``: what is alive moves to a
generation no collection walks) before its 2nd, 100th and 1,000th request; the full passes then walk only
what came later, 1–16 ms each. The frozen objects are still freed when nothing refers to them; only a
reference cycle among them would stay, and what is alive at those moments is the worker's own state.
"""

import gc

from flask import Flask

# Before which request of a process its heap is frozen: after the first, whose objects are all of start-up,
# and twice more for the caches the first hundred and thousand requests fill (calendars, compiled statements).
FREEZE_BEFORE = (2, 100, 1_000)
_served = 0


def register(app: Flask) -> None:
    """Freeze the process's heap before its 2nd, 100th and 1,000th request, when ``FREEZE_HEAP`` is on."""
    if not app.config.get("FREEZE_HEAP"):
        return

    @app.before_request
    def _freeze_between_requests() -> None:
        global _served
        _served += 1
        if _served in FREEZE_BEFORE:
            gc.collect()  # first the cycles left by earlier requests: frozen, they would never be freed
            gc.freeze()
