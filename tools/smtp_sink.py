"""A real SMTP server on a local port (aiosmtpd) that keeps what it accepts: for the tests and the
notification benchmark, so that mail goes through Django's SMTP backend and a real conversation.

It can refuse (a 4xx reply to DATA) for a while, refuse a recipient for good (5xx), hold its
reply to DATA after it has the message, so that a worker can be stopped in between, or hang up
instead of replying (as a server does whose answer is lost).

    python -m tools.smtp_sink --port 2525 --refuse-for 60 --log received.log

runs one in the foreground and writes a line per message it accepts: the time, then its Message-ID.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller

REFUSAL = "451 4.3.0 Try again later"

# aiosmtpd logs every command of every conversation at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    def __init__(self, *, port: int | None = None, log: Path | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.log = log
        self.raw: list[tuple[bytes, list[str]]] = []  # each message as received, and its recipients
        self._parsed: list[EmailMessage] = []
        self.refused = 0
        self.conversations = 0  # EHLOs: connections a client opened
        self._lock = threading.Lock()
        self._refuse_until = 0.0
        self._refusals_left = 0
        self._hold = 0.0
        self._hang_up = False
        self.unknown_recipients: set[str] = set()
        self.received = threading.Event()  # set whenever a message has been taken
        self._controller = Controller(self, hostname=self.host, port=self.port)

    # --- control ---------------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def refuse(self, *, seconds: float = 0, times: int = 0) -> None:
        """Answer DATA with a 4xx for the next ``seconds``, or the next ``times`` messages."""
        with self._lock:
            self._refuse_until = time.monotonic() + seconds
            self._refusals_left = times

    def hold(self, seconds: float) -> None:
        """After taking a message, wait this long before saying so (250)."""
        self._hold = seconds

    def hang_up(self) -> None:
        """After taking a message, close the connection instead of saying so."""
        self._hang_up = True

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages taken so far, parsed (on first use: parsing would slow the server down)."""
        with self._lock:
            for content, recipients in self.raw[len(self._parsed) :]:
                message = message_from_bytes(content, policy=default_policy)
                message["X-Envelope-To"] = ", ".join(recipients)
                self._parsed.append(message)
            return list(self._parsed)

    def reset(self) -> None:
        with self._lock:
            self.raw.clear()
            self._parsed.clear()
            self.refused = 0
            self.conversations = 0
            self._refuse_until = 0.0
            self._refusals_left = 0
            self._hold = 0.0
            self._hang_up = False
            self.unknown_recipients.clear()
            self.received.clear()

    @property
    def url(self) -> str:
        """For EMAIL_URL."""
        return f"smtp://{self.host}:{self.port}"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.raw) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.messages

    # --- aiosmtpd's handler ----------------------------------------------------------------------

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        self.conversations += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.unknown_recipients:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            refusing = time.monotonic() < self._refuse_until or self._refusals_left > 0
            if refusing:
                self._refusals_left = max(self._refusals_left - 1, 0)
                self.refused += 1
                return REFUSAL
            self.raw.append((envelope.content, list(envelope.rcpt_tos)))
            if self.log is not None:
                with self.log.open("a") as log:
                    log.write(f"{time.time():.6f} {message_id(envelope.content)}\n")
        self.received.set()
        if self._hold:
            await asyncio.sleep(self._hold)
        if self._hang_up:
            server.transport.close()
        return "250 2.0.0 OK"


def message_id(content: bytes) -> str:
    """The Message-ID header of a raw message, without parsing the rest."""
    headers = content.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in headers.splitlines():
        if line[:11].lower() == b"message-id:":
            return line[11:].strip().decode("ascii", "replace")
    return "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True, help="a line per accepted message")
    parser.add_argument("--refuse-for", type=float, default=0, help="seconds of 4xx replies from the start")
    options = parser.parse_args()
    sink = SmtpSink(port=options.port, log=options.log).start()
    sink.refuse(seconds=options.refuse_for)
    print(f"listening on {sink.host}:{sink.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
