"""Group-robot webhooks: WeCom (企业微信) and DingTalk (钉钉) message formats, DingTalk's signature.

WeCom:    POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…  {"msgtype": "markdown", …}
DingTalk: POST https://oapi.dingtalk.com/robot/send?access_token=…      {"msgtype": "markdown", …}
          with a secret: &timestamp=<ms>&sign=urlencode(base64(HMAC-SHA256(secret, "<ms>\\n<secret>")))
Both answer {"errcode": 0, "errmsg": "ok"}; anything else is a delivery error (retried).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import urllib.parse
from typing import Any, Protocol

import httpx

from workflow.notify.message import DeliveryError

WECOM, DINGTALK = "wecom", "dingtalk"


def robot_kind(url: str) -> str:
    """Which robot a URL belongs to: DingTalk's carry access_token, WeCom's a key."""
    parsed = urllib.parse.urlparse(url)
    query = urllib.parse.parse_qs(parsed.query)
    if "dingtalk" in parsed.netloc or "access_token" in query:
        return DINGTALK
    return WECOM


def wecom_payload(title: str, text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}


def dingtalk_payload(title: str, text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n{text}"}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"


class WebhookSender(Protocol):
    def send(self, url: str, secret: str | None, title: str, text: str) -> None: ...


class HttpWebhookSender:
    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        # One client for the sender's life: building the TLS context per request costs ~100 ms.
        self._client = httpx.Client(timeout=timeout)

    def send(self, url: str, secret: str | None, title: str, text: str) -> None:
        if robot_kind(url) == DINGTALK:
            target, payload = signed_url(url, secret), dingtalk_payload(title, text)
        else:
            target, payload = url, wecom_payload(title, text)
        try:
            resp = self._client.post(target, json=payload)
            data = resp.json() if resp.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            raise DeliveryError(f"群机器人推送失败：{exc}") from exc
        if resp.status_code != 200 or data.get("errcode", 0) != 0:
            raise DeliveryError(f"群机器人推送失败：HTTP {resp.status_code} {data.get('errmsg', '')}".strip())


class MemoryWebhookSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def send(self, url: str, secret: str | None, title: str, text: str) -> None:
        with self._lock:
            self.sent.append((url, title, text))
