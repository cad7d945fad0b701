"""Channel backends behind small interfaces: e-mail (Flask-Mailman: SMTP, or files in
the instance folder), SMS (the generic HTTP provider of api.md, batch files for an
S/FTP pick-up, the console). Each answers an ``Outcome``: sent (with the provider's
id), a temporary failure (retried) or a permanent one (failed at once, with the reason).

The backends know nothing of the database: the worker hands them plain messages.
"""
from __future__ import annotations

import json
import os
import secrets
import smtplib
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formataddr, make_msgid
from typing import IO, Protocol

import httpx
from flask import current_app
from flask_mailman import EmailMessage
from flask_mailman.message import sanitize_address

from ...workflow.numbers import parse_int

SENT, TEMPORARY, PERMANENT = "sent", "temporary", "permanent"


@dataclass(frozen=True)
class Outcome:
    result: str  # sent | temporary | permanent
    detail: str = ""
    provider_id: str | None = None
    answer: str = ""  # the provider's answer, as received (shortened)
    retry_after: int | None = None  # seconds the provider asked us to wait

    @property
    def ok(self) -> bool:
        return self.result == SENT


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    sender_name: str
    reply_to: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    reference: str


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    detail: str


class MailSender(Protocol):
    def open(self) -> None: ...
    def send(self, message: Email) -> Outcome: ...
    def close(self) -> None: ...
    def test_connection(self) -> ConnectionReport: ...


class SmsBackend(Protocol):
    def open(self) -> None: ...
    def send(self, message: Sms) -> Outcome: ...
    def close(self) -> None: ...
    def test_connection(self, to: str | None = None) -> ConnectionReport: ...


def _short(text, limit: int = 500) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


# -- e-mail -----------------------------------------------------------------------

def _smtp_outcome(error: Exception) -> Outcome:
    """SMTP 4xx, a dropped connection or a time-out: try again later; 5xx: permanent."""
    if isinstance(error, smtplib.SMTPAuthenticationError):  # the server's set-up, not the message
        return Outcome(TEMPORARY, f"SMTP authentication failed: {error.smtp_code} {_decode(error.smtp_error)}",
                       answer=_decode(error.smtp_error))
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        result = PERMANENT if 500 <= code < 600 else TEMPORARY
        return Outcome(result, f"recipient refused: {code} {_decode(text)}", answer=f"{code} {_decode(text)}")
    if isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, _decode(error.smtp_error)
        result = PERMANENT if 500 <= code < 600 else TEMPORARY
        return Outcome(result, f"SMTP {code} {text}", answer=f"{code} {text}")
    if isinstance(error, (smtplib.SMTPException, OSError)):  # disconnected, refused, timed out
        return Outcome(TEMPORARY, f"SMTP connection: {type(error).__name__}: {error}")
    raise error


def _decode(value) -> str:
    return _short(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)


class MailmanSender:
    """E-mail through Flask-Mailman's configured backend (SMTP, or files in the instance folder).

    Japanese subjects and sender names are MIME-encoded (RFC 2047) by the message
    class; the body is UTF-8.
    """

    def __init__(self):
        self.connection = None

    def open(self) -> None:
        from ...extensions import mail

        if self.connection is None:
            self.connection = mail.get_connection()
            self.connection.open()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def message(self, email: Email) -> EmailMessage:
        address = current_app.config["MAIL_DEFAULT_SENDER"]
        headers = {"Message-ID": make_msgid("notice" + email.reference, address.rpartition("@")[2] or None)}
        if email.reference:
            headers["X-ILL-Notice"] = email.reference
        message = EmailMessage(subject=email.subject, body=email.body,
                               from_email=formataddr((email.sender_name, address)) if email.sender_name else address,
                               to=[email.to], reply_to=[email.reply_to] if email.reply_to else None,
                               headers=headers)
        message.encoding = "utf-8"
        return message

    def send(self, email: Email) -> Outcome:
        try:
            message = self.message(email)
            for address in [message.from_email, *message.recipients()]:  # before the connection
                sanitize_address(address, message.encoding)
        except ValueError as error:
            return Outcome(PERMANENT, f"invalid address: {error}")
        try:
            self.open()
            self.connection.send_messages([message])  # builds the MIME message once, then sends it
        except ValueError as error:  # a header that cannot be encoded: raised before anything is sent
            return Outcome(PERMANENT, f"invalid message: {error}")
        except Exception as error:  # noqa: BLE001 - classified, or re-raised by _smtp_outcome
            outcome = _smtp_outcome(error)
            if outcome.result == TEMPORARY:
                self.close()  # a fresh connection for the next message
            return outcome
        backend = current_app.config.get("MAIL_BACKEND", "")
        return Outcome(SENT, "accepted by the SMTP server" if backend == "smtp" else f"written by the {backend} backend",
                       provider_id=message.extra_headers["Message-ID"], answer="250")

    def test_connection(self) -> ConnectionReport:
        config = current_app.config
        if config.get("MAIL_BACKEND") != "smtp":
            path = config.get("MAIL_FILE_PATH", "")
            return ConnectionReport(True, f"No MAIL_SERVER: e-mail is written to files in {path}.")
        host, port = config.get("MAIL_SERVER"), config.get("MAIL_PORT")
        try:
            connection = (smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP)(
                host, port, timeout=config.get("MAIL_TIMEOUT") or 10)
            try:
                code, banner = connection.ehlo()
                if config.get("MAIL_USE_TLS"):
                    connection.starttls()
                    connection.ehlo()
                if config.get("MAIL_USERNAME"):
                    connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
                noop = connection.noop()
            finally:
                try:
                    connection.quit()
                except (smtplib.SMTPException, OSError):
                    connection.close()
        except Exception as error:  # noqa: BLE001 - the exact failure is the answer
            return ConnectionReport(False, f"{host}:{port}: {type(error).__name__}: {error}")
        return ConnectionReport(True, f"{host}:{port} answered EHLO {code} and NOOP {noop[0]}: {_decode(banner).splitlines()[0]}")


# -- SMS ----------------------------------------------------------------------------

class HttpSmsBackend:
    """The generic provider: POST JSON {to, from, text, reference} with a bearer token;
    2xx {"id"}: accepted; 429, 5xx and time-outs: temporary; other 4xx: permanent."""

    def __init__(self, url: str, token: str, sender: str, timeout: float = 10.0):
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout
        self.client: httpx.Client | None = None

    def open(self) -> None:
        if self.client is None:
            self.client = httpx.Client(timeout=self.timeout, headers={"Authorization": f"Bearer {self.token}"})

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def _post(self, payload: dict) -> httpx.Response:
        self.open()
        return self.client.post(self.url, json=payload)

    def send(self, sms: Sms) -> Outcome:
        payload = {"to": sms.to, "from": self.sender, "text": sms.text, "reference": sms.reference}
        try:
            response = self._post(payload)
        except httpx.TimeoutException as error:
            return Outcome(TEMPORARY, f"time-out after {self.timeout:g} s: {type(error).__name__}")
        except httpx.HTTPError as error:
            self.close()
            return Outcome(TEMPORARY, f"connection: {type(error).__name__}: {error}")
        answer = _short(f"{response.status_code} {response.text}")
        if 200 <= response.status_code < 300:
            try:
                provider_id = str(response.json()["id"])
            except (ValueError, KeyError, TypeError):
                return Outcome(SENT, "accepted, but the answer carried no id", answer=answer)
            return Outcome(SENT, f"accepted (HTTP {response.status_code})", provider_id=provider_id, answer=answer)
        reason = _short(_error_text(response))
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After", "")
            return Outcome(TEMPORARY, f"HTTP {response.status_code}: {reason}", answer=answer,
                           retry_after=parse_int(retry_after, 0, 86_400))
        return Outcome(PERMANENT, f"HTTP {response.status_code}: {reason}", answer=answer)

    def test_connection(self, to: str | None = None) -> ConnectionReport:
        if not self.url or not self.token:
            return ConnectionReport(False, "SMS_HTTP_URL and SMS_HTTP_TOKEN must both be set.")
        try:
            if to:
                outcome = self.send(Sms(to=to, text="ILL portal: test message / テスト送信", reference="test"))
                return ConnectionReport(outcome.ok, f"{self.url}: {outcome.detail}"
                                        + (f" (id {outcome.provider_id})" if outcome.provider_id else ""))
            self.open()
            response = self.client.get(self.url)
        except httpx.HTTPError as error:
            return ConnectionReport(False, f"{self.url}: {type(error).__name__}: {error}")
        finally:
            self.close()
        if response.status_code in (401, 403):
            return ConnectionReport(False, f"{self.url}: the token was refused (HTTP {response.status_code}: "
                                           f"{_short(_error_text(response), 200)})")
        if response.status_code >= 500:
            return ConnectionReport(False, f"{self.url}: the provider answered HTTP {response.status_code}")
        return ConnectionReport(True, f"{self.url} is reachable and accepted the token (HTTP {response.status_code})")


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(body, dict):
        for key in ("reason", "error", "message", "detail"):
            if body.get(key):
                return str(body[key])
    return response.text.strip()


class FileSmsBackend:
    """Batch files for an S/FTP pick-up (as Alma does): one JSON-lines file per batch in
    SMS_FILE_DIR, written as ``.part`` and renamed when the batch closes, so that the
    pick-up never reads half a file."""

    def __init__(self, directory: str, sender: str):
        self.directory, self.sender = directory, sender
        self.stream: IO[str] | None = None
        self.name = ""
        self.lines = 0

    def open(self) -> None:
        if self.stream is None:
            os.makedirs(self.directory, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            self.name = f"sms-{stamp}-{os.getpid()}-{secrets.token_hex(3)}.jsonl"
            self.stream = open(os.path.join(self.directory, self.name + ".part"), "w", encoding="utf-8")
            self.lines = 0

    def send(self, sms: Sms) -> Outcome:
        try:
            self.open()
            self.stream.write(json.dumps({"to": sms.to, "from": self.sender, "text": sms.text,
                                          "reference": sms.reference}, ensure_ascii=False) + "\n")
            self.stream.flush()
        except OSError as error:
            return Outcome(TEMPORARY, f"cannot write the batch file: {error}")
        self.lines += 1
        return Outcome(SENT, f"written to {self.name}", provider_id=f"{self.name}#{self.lines}")

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            part = os.path.join(self.directory, self.name + ".part")
            if self.lines:
                os.replace(part, os.path.join(self.directory, self.name))
            else:
                os.remove(part)
            self.stream = None

    def test_connection(self, to: str | None = None) -> ConnectionReport:
        probe = os.path.join(self.directory, f".probe-{secrets.token_hex(4)}")
        try:
            os.makedirs(self.directory, exist_ok=True)
            with open(probe, "w", encoding="utf-8") as handle:
                handle.write("probe")
            with open(probe, encoding="utf-8") as handle:
                handle.read()
            os.remove(probe)
        except OSError as error:
            return ConnectionReport(False, f"{self.directory}: {error}")
        return ConnectionReport(True, f"{self.directory}: write, read and delete succeeded")


class ConsoleSmsBackend:
    """Development: print the SMS on standard output."""

    def __init__(self, sender: str, stream: IO[str] | None = None):
        self.sender = sender
        self.stream = stream
        self.count = 0

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, sms: Sms) -> Outcome:
        stream = self.stream or sys.stdout
        self.count += 1
        stream.write(f"--- SMS from {self.sender} to {sms.to} (notice {sms.reference}) ---\n{sms.text}\n")
        stream.flush()
        return Outcome(SENT, "printed on the console", provider_id=f"console-{os.getpid()}-{self.count}")

    def test_connection(self, to: str | None = None) -> ConnectionReport:
        return ConnectionReport(True, "SMS_BACKEND is console: messages are printed by the worker, not sent.")


def sms_backend() -> SmsBackend:
    config = current_app.config
    name = config.get("SMS_BACKEND") or "console"
    sender = config.get("SMS_SENDER") or "ILL"
    if name == "http":
        return HttpSmsBackend(config.get("SMS_HTTP_URL") or "", config.get("SMS_HTTP_TOKEN") or "", sender,
                              float(config.get("SMS_HTTP_TIMEOUT") or 10))
    if name == "file":
        return FileSmsBackend(config.get("SMS_FILE_DIR") or os.path.join(current_app.instance_path, "sms"), sender)
    return ConsoleSmsBackend(sender)


def mail_sender() -> MailSender:
    return MailmanSender()


__all__ = ["ConnectionReport", "ConsoleSmsBackend", "Email", "FileSmsBackend", "HttpSmsBackend", "MailSender",
           "MailmanSender", "Outcome", "Sms", "SmsBackend", "mail_sender", "sms_backend"]
