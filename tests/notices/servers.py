"""Real local servers for the notice tests: an SMTP server (aiosmtpd) and an HTTP
server standing in for the SMS provider, each on 127.0.0.1 and a free port, with
answers the test can program (temporary and permanent failures)."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self):
        return message_from_bytes(self.raw, policy=policy.default)


class _SmtpHandler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.rcpt_replies.popleft() if self.server.rcpt_replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1. ``rcpt_replies``: answers for the next RCPT commands
    (e.g. "451 4.3.0 Try later", "550 5.1.1 No such user"); None accepts."""

    def __init__(self):
        self.received: list[Received] = []
        self.delay = 0.0  # seconds per message: a slow server, to stop a worker mid-batch
        self.rcpt_replies: deque[str | None] = deque()
        self.port = free_port()
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received


@dataclass
class ProviderRequest:
    path: str
    headers: dict
    body: dict


@dataclass
class SmsProvider:
    """A tiny HTTP SMS provider: POST / answers {"id"}; ``replies`` programs the next
    answers as (status, body) or ("sleep", seconds) for a time-out."""

    requests: list[ProviderRequest] = field(default_factory=list)
    replies: deque = field(default_factory=deque)
    token: str = "provider-token-123"

    def start(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict | str):
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.headers.get("Authorization") != f"Bearer {provider.token}":
                    return self._answer(401, {"error": "bad token"})
                self._answer(405, {"error": "POST messages here"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                provider.requests.append(ProviderRequest(self.path, dict(self.headers), body))
                if self.headers.get("Authorization") != f"Bearer {provider.token}":
                    return self._answer(401, {"error": "bad token"})
                reply = provider.replies.popleft() if provider.replies else None
                if reply and reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = None
                if reply:
                    return self._answer(*reply)
                self._answer(201, {"id": f"msg-{len(provider.requests)}"})

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that timed out and hung up (the time-out tests) is not an error here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
