"""Notification channels: e-mail (SMTP, console, memory), group-robot webhooks (WeCom, DingTalk), in-app.

Adapters are picked by configuration (settings.mailer) or handed in by tests; the reminder service only
sees the small protocols in `channels.py`.
"""
