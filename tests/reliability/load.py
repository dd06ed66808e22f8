"""Concurrent clients filing complaints over HTTP, as citizens' phones would: each filing carries an
``Idempotency-Key``, and a client that gets no answer (a timeout, a dropped connection, a 5xx) asks again
with the same key until it gets one. Every answer is recorded, so the database can be checked against
what the clients were told.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import httpx

WITA = timezone(timedelta(hours=8))
# A filing that has had no answer after this long counts as unanswered (a failure of the run).
GIVE_UP_SECONDS = 180


@dataclass
class Filing:
    """One complaint a client filed: its key, the answer it finally got and how hard that was."""

    key: str
    email: bool
    status: int | None = None
    complaint_id: int | None = None
    tracking_code: str | None = None
    attempts: int = 0
    timeouts: int = 0
    dropped: int = 0  # connection refused, reset or closed without an answer
    server_errors: Counter = field(default_factory=Counter)  # 5xx answers, by status

    @property
    def acknowledged(self) -> bool:
        """Return whether the client was told the complaint was filed (201, or 200 for a replay)."""
        return self.status in (200, 201)


@dataclass
class LoadResult:
    """Every filing of one load and how long it took."""

    tag: str
    filings: list[Filing]
    seconds: float

    @property
    def acknowledged(self) -> list[Filing]:
        """Return the filings the clients were told about."""
        return [f for f in self.filings if f.acknowledged]

    def figures(self) -> dict:
        """Return the load's numbers."""
        server_errors = Counter()
        for filing in self.filings:
            server_errors.update(filing.server_errors)
        return {
            "filings": len(self.filings), "acknowledged": len(self.acknowledged),
            "created_201": sum(f.status == 201 for f in self.filings),
            "replayed_200": sum(f.status == 200 for f in self.filings),
            "unanswered": sum(f.status is None for f in self.filings),
            "refused_4xx": sum(f.status is not None and 400 <= f.status < 500 for f in self.filings),
            "requests": sum(f.attempts for f in self.filings),
            "retries": sum(f.attempts - 1 for f in self.filings if f.attempts),
            "client_timeouts": sum(f.timeouts for f in self.filings),
            "dropped_connections": sum(f.dropped for f in self.filings),
            "server_errors_5xx": dict(sorted(server_errors.items())),
            "seconds": round(self.seconds, 2),
            "filings_per_second": round(len(self.filings) / self.seconds, 1) if self.seconds else None,
        }


def body_of(tag: str, number: int, key: str, email: bool, received_at: datetime | None = None) -> dict:
    """Return the complaint a load client files; its key is in the description, for the duplicate check."""
    body = {"title": f"[{tag}] Jalan berlubang nomor {number}",
            "description": f"Lubang besar di depan pura; sudah dua motor jatuh. Kunci / key: {key}",
            "category": "jalan-rusak", "location": {"desa": "Gelgel", "kecamatan": "Klungkung"},
            "reporter": {"name": f"Pelapor Beban {number}", "phone": f"0812{number % 10 ** 8:08d}",
                         **({"email": f"pelapor.{tag.lower()}.{number}@example.id"} if email else {})}}
    if received_at is not None:
        body["received_at"] = received_at.astimezone(WITA).isoformat()
    return body


class Load:
    """``count`` complaints filed by ``clients`` threads spread over ``urls``, in the background.

    ``timeout`` is the first attempt's client timeout; each timeout doubles it up to ``max_timeout``.
    With a staff ``token`` and ``backdate``, complaints are filed as received that long ago (their
    clocks are due at once). Every ``email_every``-th reporter also gives an e-mail address.
    """

    def __init__(self, urls: list[str], count: int, clients: int, tag: str, *, timeout: float = 30,
                 max_timeout: float = 30, token: str | None = None, backdate: timedelta | None = None,
                 email_every: int = 5):
        self.urls, self.count, self.clients, self.tag = urls, count, clients, tag
        self.timeout, self.max_timeout, self.backdate = timeout, max_timeout, backdate
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.filings = [Filing(key=f"{tag}-{number:06d}", email=number % email_every == 0) for number in range(count)]
        self.answered = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._started = 0.0

    def start(self) -> "Load":
        """Start the clients."""
        self._started = time.perf_counter()
        self._threads = [threading.Thread(target=self._client, args=(index,), daemon=True)
                         for index in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def join(self) -> LoadResult:
        """Wait until every filing has its answer (or was given up) and return the result."""
        for thread in self._threads:
            thread.join()
        return LoadResult(self.tag, self.filings, time.perf_counter() - self._started)

    def dropped(self) -> int:
        """Return how many requests so far lost their connection without an answer."""
        return sum(filing.dropped for filing in self.filings)

    def _client(self, index: int) -> None:
        url = f"{self.urls[index % len(self.urls)]}/api/v1/complaints"
        with httpx.Client(headers=self.headers) as http:
            for number in range(index, self.count, self.clients):
                filing = self.filings[number]
                received_at = datetime.now(UTC) - self.backdate if self.backdate else None
                _file(http, url, filing, body_of(self.tag, number, filing.key, filing.email, received_at),
                      self.timeout, self.max_timeout)
                with self._lock:
                    self.answered += 1


def file_complaints(urls: list[str], count: int, clients: int, tag: str, **options) -> LoadResult:
    """File ``count`` complaints from ``clients`` threads over ``urls`` (see :class:`Load`); return every answer."""
    return Load(urls, count, clients, tag, **options).start().join()


def _file(http: httpx.Client, url: str, filing: Filing, body: dict, timeout: float, max_timeout: float) -> None:
    deadline, pause = time.monotonic() + GIVE_UP_SECONDS, 0.05
    while time.monotonic() < deadline:
        filing.attempts += 1
        try:
            response = http.post(url, json=body, headers={"Idempotency-Key": filing.key}, timeout=timeout)
        except httpx.TimeoutException:
            filing.timeouts += 1
            timeout = min(timeout * 2, max_timeout)
            continue
        except httpx.TransportError:
            filing.dropped += 1
        else:
            if response.status_code < 500:
                filing.status = response.status_code
                if filing.acknowledged:
                    answer = response.json()
                    filing.complaint_id, filing.tracking_code = answer["id"], answer["tracking_code"]
                return
            filing.server_errors[response.status_code] += 1
            if retry_after := response.headers.get("Retry-After", ""):
                pause = max(pause, min(float(retry_after), 2.0)) if retry_after.isdigit() else pause
        # The service is down or restarting: back off a little so a thousand clients do not spin on it.
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
