"""Celery task bodies (thin: ids in, one service call) and the dispatcher that sends them after commit.

The Celery app itself is in `workers/celery_app.py`; the tasks are in `workflow.tasks.jobs`.
"""
