"""A fake SMS/WhatsApp gateway: a small Flask app on a local port that accepts, fails, or refuses.

It speaks the generic gateway shape of ``workflow/notifications/senders.py`` (``POST /`` with JSON
``{to, text}``, a bearer token, an ``Idempotency-Key``), keeps every message once by its key (as a
real gateway must, for the outbox's exactly-once promise) and counts the requests it got. The test
controls it: ``erroring(times, after_recording)`` answers 500 to the next ``times`` requests, before
or after keeping the message; ``refusing(number)`` answers 422 for that number; ``go_down()`` /
``come_up()`` stop listening (connections are refused) and listen again on the same port.
"""

import threading

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

TOKEN = "fake-gateway-token"


class FakeGateway:
    """The gateway the tests talk to; ``url`` is where it listens."""

    def __init__(self) -> None:
        self.kept: dict[str, dict] = {}  # idempotency key → {"to", "text"}
        self.requests = 0
        self.refused_numbers: set[str] = set()
        self._failures_left = 0
        self._fail_after_recording = False
        self._lock = threading.Lock()
        self._server = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self.app = self._build_app()

    @property
    def url(self) -> str:
        """Return the URL messages are posted to."""
        return f"http://127.0.0.1:{self._port}/messages"

    def start(self) -> "FakeGateway":
        """Listen on a free port (or the port it had) in a background thread."""
        self._server = make_server("127.0.0.1", self._port, self.app, threaded=True)
        self._port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=30)

    def go_down(self) -> None:
        """Stop listening, keeping the port and the messages kept: connections are refused."""
        self.stop()

    def come_up(self) -> None:
        """Listen again on the same port."""
        self.start()

    def erroring(self, times: int = 1, after_recording: bool = False) -> None:
        """Answer 500 to the next ``times`` requests, having kept the message first if ``after_recording``."""
        self._failures_left, self._fail_after_recording = times, after_recording

    def refusing(self, number: str) -> None:
        """Refuse every message to ``number`` (422, as for a number that cannot receive SMS)."""
        self.refused_numbers.add(number)

    def texts_to(self, number: str) -> list[str]:
        """Return the distinct messages kept for ``number``, in arrival order."""
        return [message["text"] for message in self.kept.values() if message["to"] == number]

    def _build_app(self) -> Flask:
        app = Flask("fake_sms_gateway")

        @app.post("/messages")
        def receive():
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify({"error": "unauthorised"}), 401
            key = request.headers.get("Idempotency-Key")
            body = request.get_json(silent=True) or {}
            if not key or set(body) != {"to", "text"}:
                return jsonify({"error": "Idempotency-Key and a body {to, text} are required"}), 400
            with self._lock:
                self.requests += 1
                failing = self._failures_left > 0
                if failing:
                    self._failures_left -= 1
                if failing and not self._fail_after_recording:
                    return jsonify({"error": "internal error"}), 500
                if body["to"] in self.refused_numbers:
                    return jsonify({"error": "not a mobile number"}), 422
                first = key not in self.kept
                if first:
                    self.kept[key] = body
            if failing:
                return jsonify({"error": "internal error after saving"}), 500
            return jsonify({"id": key, "status": "queued"}), 201 if first else 200

        return app
