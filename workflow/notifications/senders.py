"""The outbox senders of notices: e-mail (SMTP, or a folder of .eml files in development), SMS and
WhatsApp through a generic HTTP gateway, and in-app notices for staff.

Exactly once at the receiver, as for every outbox message (:mod:`workflow.services.outbox`):

* the gateways get the message's key as ``Idempotency-Key`` and must keep a key once;
* an e-mail's ``Message-ID`` is derived from the key, so a message sent again after a crash between
  sending and marking is the same message to every mail system (and the development folder holds
  one file per key);
* an in-app notice is a row keyed by the outbox key, written in the transaction that marks the
  message delivered.

Unconfigured channels offer no sender, so their messages wait in the outbox, untouched, until the
channel is set up (``SMS_GATEWAY_URL``, ``WHATSAPP_GATEWAY_URL``, ``MAIL_SERVER`` or ``MAIL_SINK_DIR``).
"""

import hashlib
import os
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.dialects import postgresql, sqlite

from workflow.db import db
from workflow.models import Notice, OutboxMessage
from workflow.notifications.listener import EMAIL, INAPP, SMS, WHATSAPP, notice_keys
from workflow.services import outbox


class GatewayUnavailable(Exception):
    """The gateway could not be reached, did not answer in time, or failed (5xx): try again later."""


class GatewayRejected(outbox.Undeliverable):
    """The gateway refused the message itself (a 4xx such as an invalid number): retrying cannot help."""


class HttpGateway:
    """An SMS or WhatsApp gateway over HTTP: ``POST {url}`` with JSON ``{to, text}`` and an ``Idempotency-Key``."""

    # Bandit B107 below is a false alarm: an empty token means the gateway asks for none (no Authorization).
    def __init__(self, url: str, token: str = "", timeout: float = 10,  # nosec B107
                 transport: httpx.BaseTransport | None = None):
        self.url, self.token, self.timeout, self.transport = url, token, timeout, transport
        self._http: httpx.Client | None = None

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        """Hand the message to the gateway; raise unless it accepted it (2xx)."""
        headers = {"Idempotency-Key": message.key, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"to": message.payload["to"], "text": message.payload["text"]}
        if self._http is None:
            # One client for the worker's life: building one loads the CA bundle (≈50 ms of CPU, more than
            # the send), and its connections to the gateway are reused.
            self._http = httpx.Client(timeout=self.timeout, transport=self.transport)
        try:
            response = self._http.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise GatewayUnavailable(f"the gateway did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise GatewayUnavailable(f"the gateway is unreachable: {error}") from None
        status = response.status_code
        # A bad token or a rate limit is fixed on our side or by waiting, not by dropping the message.
        if status >= 500 or status in (401, 403, 408, 429):
            raise GatewayUnavailable(f"the gateway answered {status}: {response.text[:300]}")
        if status >= 400:
            raise GatewayRejected(f"the gateway refused the message ({status}): {response.text[:500]}")


def email_of(message: OutboxMessage, sender: str, eight_bit: bool = False) -> EmailMessage:
    """Return the e-mail for an ``email`` outbox message; the same message always gives the same e-mail."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.payload["to"]
    email["Subject"] = message.payload["subject"]
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message_id(message.key, sender)
    # Tells mail systems not to answer with vacation replies, and people what this is.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.payload["text"], cte="8bit" if eight_bit else None)
    return email


def message_id(key: str, sender: str) -> str:
    """Return the Message-ID derived from an outbox key (a resend carries the same one)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "aduflow.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpSender:
    """Sends e-mail through an SMTP server (STARTTLS and login when configured)."""

    keyless = True  # a mail server cannot recognise a resend by its key (see workflow.services.outbox)

    def __init__(self, config: Mapping[str, Any]):
        self.server, self.port = config["MAIL_SERVER"], int(config.get("MAIL_PORT", 587))
        self.username, self.password = config.get("MAIL_USERNAME", ""), config.get("MAIL_PASSWORD", "")
        self.use_tls, self.sender = bool(config.get("MAIL_USE_TLS")), config.get("MAIL_FROM", "")
        self.timeout = float(config.get("MAIL_TIMEOUT_SECONDS", 10))

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        """Send the e-mail; an address the server refuses for good fails the message at once."""
        email = email_of(message, self.sender)
        try:
            with smtplib.SMTP(self.server, self.port, timeout=self.timeout) as smtp:
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise outbox.Undeliverable(f"the mail server refused the address: {error.recipients}") from None
            raise


class MailSink:
    """Development: writes each e-mail as an .eml file (open it in any mail program or text editor)."""

    def __init__(self, directory: str, sender: str):
        self.directory, self.sender = Path(directory), sender

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        """Write the e-mail to ``<directory>/<when queued>-<key digest>.eml`` (one file per message)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_of(message)
        data = email_of(message, self.sender, eight_bit=True).as_bytes()
        # Written whole or not at all: a half-written file never stands for a delivered message.
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)

    def path_of(self, message: OutboxMessage) -> Path:
        """Return where the message's file is written."""
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:12]
        notice = message.payload.get("notice", "mail")
        return self.directory / f"{message.created_at:%Y%m%d-%H%M%S}-{notice}-{digest}.eml"


class InAppSender:
    """Delivers an ``inapp`` message: writes each staff user's notice, once per user and event."""

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        """Insert the notice (a repeated delivery finds it and adds nothing)."""
        self.many([message], now)

    def many(self, messages: list[OutboxMessage], now: datetime) -> None:
        """Insert the notices of many messages in one statement (those already written are left as they are)."""
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(Notice).on_conflict_do_nothing(index_elements=["key"]), [{
            "user_id": user_id, "complaint_id": m.payload.get("complaint_id"), "kind": m.payload["notice"],
            "text": m.payload["text"], "key": key, "created_at": datetime.fromisoformat(m.payload["at"]),
            "read_at": None} for m in messages for user_id, key in notice_keys(m.key, m.payload)])


def mail_sender(config: Mapping[str, Any]) -> outbox.Sender | None:
    """Return SMTP when ``MAIL_SERVER`` is set, else the .eml folder ``MAIL_SINK_DIR``, else None (mail waits)."""
    if config.get("MAIL_SERVER"):
        return SmtpSender(config)
    if config.get("MAIL_SINK_DIR"):
        return MailSink(config["MAIL_SINK_DIR"], config.get("MAIL_FROM", ""))
    return None


@outbox.register_senders
def senders(config: Mapping[str, Any]) -> dict[str, outbox.Sender]:
    """Return the notice senders ``config`` sets up: in-app always, the others once configured.

    With ``NOTIFICATIONS_ENABLED`` off there are none: notices queued before wait for it to be on again.
    """
    if not config.get("NOTIFICATIONS_ENABLED"):
        return {}
    found: dict[str, outbox.Sender] = {INAPP: InAppSender()}
    mail = mail_sender(config)
    if mail is not None:
        found[EMAIL] = mail
    token, timeout = config.get("GATEWAY_TOKEN", ""), float(config.get("GATEWAY_TIMEOUT_SECONDS", 10))
    for channel, setting in ((SMS, "SMS_GATEWAY_URL"), (WHATSAPP, "WHATSAPP_GATEWAY_URL")):
        if config.get(setting):
            found[channel] = HttpGateway(config[setting], token, timeout)
    return found
