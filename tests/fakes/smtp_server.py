"""A fake SMTP server on a local port: enough of RFC 5321 for ``smtplib`` (EHLO, MAIL, RCPT, DATA, QUIT).

It keeps each e-mail it accepts (raw bytes) and refuses, with ``550``, recipients the test names.
``go_down()`` / ``come_up()`` stop listening (connections are refused) and listen again on the same port.
"""

import socketserver
import threading


class _Session(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: FakeSmtpServer = self.server.fake  # type: ignore[attr-defined]
        self._reply("220 fake-smtp ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250-fake-smtp" if verb == "EHLO" else "250 fake-smtp")
                if verb == "EHLO":
                    self._reply("250 8BITMIME")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip().strip("<>").split(">")[0]
                if address in server.refused:
                    self._reply("550 5.1.1 no such mailbox")
                else:
                    recipients.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                with server.lock:
                    server.received.append((list(recipients), bytes(data)))
                self._reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _Listener(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # come_up() binds the port again at once
    daemon_threads = True


class FakeSmtpServer:
    """The mail server the tests talk to: ``port`` once started, ``received`` the accepted e-mails."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()
        self.port = 0
        self._listen()

    def _listen(self) -> None:
        self._server = _Listener(("127.0.0.1", self.port), _Session)
        self._server.fake = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> "FakeSmtpServer":
        """Listen in a background thread."""
        self._thread.start()
        return self

    def go_down(self) -> None:
        """Stop listening, keeping the port and the e-mails received: connections are refused."""
        self.stop()

    def come_up(self) -> None:
        """Listen again on the same port."""
        self._listen()
        self.start()

    def stop(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=30)
