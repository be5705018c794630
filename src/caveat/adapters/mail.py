"""Sending mail through an SMTP server with the standard library (``smtplib``, ``email``).

One connection per batch: :meth:`SmtpMailer.session` opens it (TLS from the first byte,
or STARTTLS before anything else is said; the server's certificate is checked against
the system's CAs or the configured bundle), logs in when a username is configured, and
sends each message given to it. Every failure becomes a ``CaveatError`` whose text is
written here from the exception's class and the server's reply code only, never from
the server's words or the exception's own text: neither can then carry the password
into a log, an outbox row or a command's output.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from caveat.domain.errors import CaveatError, InvalidInput, ServiceUnavailable

STARTTLS = "starttls"
TLS = "tls"
NONE = "none"
_DEFAULT_PORTS = {STARTTLS: 587, TLS: 465, NONE: 25}


class MailRefused(InvalidInput):
    """The server refused this message for good (a 5xx reply to its sender or recipient):
    trying again will not help."""

    code = "mail_refused"


class MailUnavailable(ServiceUnavailable):
    """The message could not be handed over now (server down or busy, TLS or login
    failed, a 4xx reply): it may go later."""

    code = "mail_unavailable"


def _failure(exc: BaseException, during: str) -> CaveatError:
    """Our own words for ``exc``: its class and SMTP reply code, nothing it carries."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        permanent = bool(codes) and all(c >= 500 for c in codes)
        text = f"the server refused the recipient ({', '.join(map(str, codes))})"
        return MailRefused(text) if permanent else MailUnavailable(text)
    if isinstance(exc, smtplib.SMTPAuthenticationError) or during == "logging in":
        code = exc.smtp_code if isinstance(exc, smtplib.SMTPResponseException) else None
        return MailUnavailable(
            f"the SMTP server refused the login ({code or type(exc).__name__})",
            hint="check CAVEAT_SMTP_USERNAME and the password",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"the SMTP server answered {exc.smtp_code} while {during}"
        if during == "sending" and 500 <= exc.smtp_code < 600:
            return MailRefused(text)
        return MailUnavailable(text)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return MailUnavailable(
            f"TLS with the SMTP server failed while {during} ({type(exc).__name__})",
            hint="check CAVEAT_SMTP_SECURITY, the port and CAVEAT_SMTP_CA_BUNDLE",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailUnavailable(f"the SMTP server does not offer what is needed for {during}")
    return MailUnavailable(
        f"the SMTP server could not be reached or broke off while {during} ({type(exc).__name__})"
    )


class _Connection:
    """An open, logged-in SMTP connection that sends messages."""

    def __init__(self, smtp: smtplib.SMTP, sender: str, domain: str) -> None:
        self._smtp = smtp
        self._sender = sender
        self._domain = domain

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Hand one plain-text message to the server (MailRefused, MailUnavailable)."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self._domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
        message.set_content(body)
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise _failure(exc, "sending") from None


class SmtpMailer:
    """An SMTP server reached with ``smtplib``; the password is held, never shown."""

    def __init__(
        self,
        *,
        host: str,
        port: int | None,
        security: str,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        ca_bundle: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        if security not in _DEFAULT_PORTS:
            raise InvalidInput(f"unknown SMTP security {security!r}", hint="starttls, tls or none")
        self.host = host
        self.port = port or _DEFAULT_PORTS[security]
        self.security = security
        self.sender = sender
        self._username = username
        self._password = password
        self._ca_bundle = ca_bundle
        self._timeout = timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self.host}:{self.port}, {self.security}, login={bool(self._username)})"

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self._ca_bundle)

    @contextmanager
    def session(self) -> Iterator[_Connection]:
        """A connection that sends messages, closed at the end (MailUnavailable when the
        server cannot be reached, TLS fails or the login is refused)."""
        try:
            if self.security == TLS:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self._timeout, context=self._tls()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise _failure(exc, "connecting") from None
        try:
            try:
                smtp.ehlo()
                if self.security == STARTTLS:
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
            except (smtplib.SMTPException, OSError) as exc:
                raise _failure(exc, "connecting") from None
            if self._username:
                try:
                    smtp.login(self._username, self._password or "")
                except (smtplib.SMTPException, OSError) as exc:
                    raise _failure(exc, "logging in") from None
            yield _Connection(smtp, self.sender, self.sender.rpartition("@")[2] or self.host)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
