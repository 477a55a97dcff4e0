"""A local SMTP server (aiosmtpd) that keeps every message it accepts.

With `username`/`password` set it advertises AUTH (PLAIN and LOGIN) without TLS, as a
relay on a private network would, and answers wrong credentials with 535.
"""

from __future__ import annotations

import email
import socket
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        self.messages.append(email.message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalSmtpServer:
    def __init__(self, username: str = "", password: str = "") -> None:
        self.keeper = _Keeper()
        self.port = _free_port()
        self._credentials = (username, password)
        auth = {}
        if username:
            auth = {
                "authenticator": self._authenticate,
                "auth_require_tls": False,
            }
        self._controller = Controller(self.keeper, hostname="127.0.0.1", port=self.port, **auth)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        # handled=False: aiosmtpd answers 235 or 535 itself.
        if isinstance(auth_data, LoginPassword):
            given = (auth_data.login.decode(), auth_data.password.decode())
            return AuthResult(success=given == self._credentials, handled=False)
        return AuthResult(success=False, handled=False)

    @property
    def messages(self) -> list[Message]:
        return list(self.keeper.messages)

    def __enter__(self) -> LocalSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
