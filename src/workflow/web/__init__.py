"""The web application: server-rendered pages in Chinese and a JSON API (issue 4)."""
