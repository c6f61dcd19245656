"""The web app as `workflow run` / `workflow web` serve it: `uvicorn --factory workflow.cli.serve:served_app`.

uvicorn calls the factory in each of its worker processes.  The outbox's dispatcher is per process,
so each one installs the Celery dispatcher here, before building the app: transitions that web
requests commit then enqueue their follow-up tasks through Celery (installed by uvicorn's supervising
process it would never reach the workers).  The web package itself knows nothing of Celery.
"""

from __future__ import annotations

from fastapi import FastAPI

from workers.celery_app import app as celery_app
from workflow.tasks import dispatch
from workflow.web.app import create_app


def served_app() -> FastAPI:
    dispatch.install(celery_app)
    return create_app()
