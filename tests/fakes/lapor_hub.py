"""A fake SP4N-LAPOR! hub: a small Flask app on a local port that is up, down, slow or erroring.

It speaks the shapes of ``workflow/connectors/lapor_payloads.py``, deduplicates every write by its
``Idempotency-Key`` (as the real hub must, for the outbox's exactly-once promise) and counts what
it received. The test controls it:

* ``go_down()`` / ``come_up()``: stop the server (connections are refused) and start it again on
  the same port;
* ``slow()``: each request is recorded, then waits until the test calls ``release()`` (the client's
  timeout fires first: no sleeps anywhere);
* ``erroring(times, after_recording)``: the next ``times`` writes answer 500, before or after the
  hub has stored them; then it recovers.
"""

import threading
from datetime import datetime

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from workflow.connectors import lapor_payloads as payloads

TOKEN = "fake-hub-token"
# A guard so a forgotten release() cannot hang the run; the tests never reach it.
SLOW_LIMIT_SECONDS = 30


class FakeLaporHub:
    """The hub the tests talk to; ``url`` is its base URL."""

    def __init__(self) -> None:
        self.transfers: dict[str, dict] = {}  # idempotency key → {"tracking_id", "payload"}
        self.statuses: dict[str, dict] = {}  # idempotency key → {"hub_id", "payload"}
        self.inbox: list[dict] = []  # reports dispositioned to the regency
        self.write_requests = 0
        self.mode = "up"
        self._released = threading.Event()
        self._failures_left = 0
        self._fail_after_recording = False
        self._lock = threading.Lock()
        self._server = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = self._build_app()

    # --- the test's controls ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Return the base URL (the same while the hub is down)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeLaporHub":
        """Listen on a free port (or the port it had) in a background thread."""
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused from now on."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=SLOW_LIMIT_SECONDS)
            self._server = None

    def go_down(self) -> None:
        """Stop the server, keeping its port and what it stored."""
        self.stop()
        self.mode = "down"

    def come_up(self) -> None:
        """Start again on the same port, answering normally."""
        self.mode = "up"
        self._released.clear()
        self.start()

    def slow(self) -> None:
        """Hold every answer until :meth:`release`."""
        self._released.clear()
        self.mode = "slow"

    def release(self) -> None:
        """Let held answers go and answer normally again."""
        self.mode = "up"
        self._released.set()

    def erroring(self, times: int = 1, after_recording: bool = False) -> None:
        """Answer 500 to the next ``times`` writes, having stored them first if ``after_recording``."""
        self.mode = "erroring"
        self._failures_left, self._fail_after_recording = times, after_recording

    def dispose(self, report: dict) -> None:
        """Put a report in the regency's inbox (as the national admin's disposition would)."""
        self.inbox.append(report)

    @property
    def transfer_receipts(self) -> int:
        """Return how many distinct transfers the hub holds."""
        return len(self.transfers)

    def reference_for(self, source_ref: str) -> str | None:
        """Return the hub's tracking ID for the transfer of our complaint ``source_ref``."""
        return next((t["tracking_id"] for t in self.transfers.values()
                     if t["payload"]["source_ref"] == source_ref), None)

    # --- the hub ----------------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask("fake_lapor_hub")

        @app.before_request
        def authenticate():
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify({"error": "unauthorised"}), 401
            return None

        @app.post(payloads.TRANSFERS_PATH)
        def transfer():
            return self._write(self.transfers, lambda body, number: {
                "tracking_id": f"LAPOR-{number:06d}", "payload": body})

        @app.post(payloads.STATUS_PATH.replace("{hub_id}", "<hub_id>"))
        def status(hub_id: str):
            return self._write(self.statuses, lambda body, number: {
                "tracking_id": hub_id, "hub_id": hub_id, "payload": body})

        @app.get(payloads.INBOX_PATH)
        def inbox():
            since = request.args.get("since")
            items = [r for r in self.inbox
                     if since is None or datetime.fromisoformat(r["dispositioned_at"]) >= datetime.fromisoformat(since)]
            return jsonify({"items": items, "next_cursor": None})

        return app

    def _write(self, store: dict, make):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return jsonify({"error": "Idempotency-Key required"}), 400
        body = request.get_json()
        with self._lock:
            self.write_requests += 1
            failing = self.mode == "erroring" and self._failures_left > 0
            if failing:
                self._failures_left -= 1
                if self._failures_left == 0:
                    self.mode = "up"
            if failing and not self._fail_after_recording:
                return jsonify({"error": "internal error"}), 500
            first = key not in store
            if first:
                store[key] = make(body, len(store) + 1)
            elif store[key]["payload"] != body:
                return jsonify({"error": "Idempotency-Key reused with another body"}), 422
            stored = store[key]
        if failing:
            return jsonify({"error": "internal error after saving"}), 500
        if self.mode == "slow":
            self._released.wait(timeout=SLOW_LIMIT_SECONDS)
        return jsonify({"tracking_id": stored["tracking_id"], "status": "accepted"}), 201 if first else 200
