"""The public portal (issue 5): pages, downloads, search, Atom feed, sitemap; also exported as static files."""

from workflow.portal.router import PREFIX, router

__all__ = ["PREFIX", "router"]
