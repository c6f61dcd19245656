"""The public portal (issue 5): pages, downloads, search, Atom feed, sitemap; also exported as static files."""

from fastapi import APIRouter

from workflow.portal.router import PREFIX, favicon_router
from workflow.portal.router import router as public_router

# The portal under /public, and the site's icon at /favicon.ico (for the application's pages too).
router = APIRouter()
router.include_router(public_router)
router.include_router(favicon_router)

__all__ = ["PREFIX", "router"]
