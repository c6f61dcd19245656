"""The service layer: the only place where state changes (ARCHITECTURE.md, layer 4).

Functions take a Session and ids, keyword-only.  Each one is one transaction: it commits on success
(sending follow-up tasks after the commit, see outbox.py) and rolls back on any error, so a refused
request leaves the stored state exactly as it was.
"""
