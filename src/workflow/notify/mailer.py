"""Mailers: SMTP (smtplib), console (prints, development) and memory (tests)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import sys
import threading
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from workflow.notify.message import DeliveryError, Message


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


def build_email(message: Message, sender: str) -> EmailMessage:
    em = EmailMessage()
    em["From"] = sender
    em["To"] = ", ".join(message.to)
    em["Subject"] = message.subject
    em["Date"] = formatdate(localtime=True)
    if message.message_id:
        em["Message-ID"] = message.message_id
    for k, v in message.headers.items():
        em[k] = v
    em.set_content(message.text, charset="utf-8")
    if message.html:
        em.add_alternative(message.html, subtype="html", charset="utf-8")
    return em


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        # One connection is kept and reused (a scan sends many messages); a broken one is replaced once.
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._connection().send_message(build_email(message, self.sender))
                    return
                except smtplib.SMTPServerDisconnected as exc:
                    self._drop()
                    if attempt == 2:
                        raise DeliveryError(f"邮件服务器 {self.host}:{self.port} 断开连接：{exc}") from exc
                except (OSError, smtplib.SMTPException) as exc:
                    self._drop()
                    raise DeliveryError(f"邮件服务器 {self.host}:{self.port} 发送失败：{exc}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            self._smtp = smtp
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    self._smtp.quit()
            self._drop()


class ConsoleMailer:
    def __init__(self, sender: str = "") -> None:
        self.sender = sender

    def send(self, message: Message) -> None:
        print(f"--- 邮件 至 {', '.join(message.to)}：{message.subject}\n{message.text}", file=sys.stdout)


class MemoryMailer:
    def __init__(self) -> None:
        self.outbox: list[Message] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        with self._lock:
            self.outbox.append(message)


def mailer_from_settings() -> Mailer:
    from workflow.settings import get_settings

    s = get_settings()
    if s.mailer == "smtp":
        return SmtpMailer(
            s.smtp_host,
            s.smtp_port,
            s.mail_from,
            user=s.smtp_user,
            password=s.smtp_password,
            starttls=s.smtp_starttls,
        )
    if s.mailer == "memory":
        return MemoryMailer()
    return ConsoleMailer(s.mail_from)
