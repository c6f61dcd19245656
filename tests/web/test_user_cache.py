"""Who is signed in is read from the database (in a thread) once per process and USER_TTL, however
many of that user's requests arrive at once (a reviewer's 25 concurrent page views used to read it 25 times at every
expiry, the last of them 400 ms late)."""

from __future__ import annotations

import asyncio

from workflow.db.factories import make_user
from workflow.db.models import User
from workflow.services.accounts import cached_hash
from workflow.web.deps import UserCache


class CountingCache(UserCache):
    reads = 0

    def load(self, uid: int) -> User | None:
        self.reads += 1
        return super().load(uid)


def test_requests_within_the_ttl_read_the_user_once(db) -> None:
    with db.sessions() as s:
        uid = make_user(s, "reviewer1", role="reviewer", password_hash=cached_hash("demo1234")).id
        s.commit()
    cache = CountingCache(db.sessions)

    async def page_views() -> list[User | None]:
        concurrent = await asyncio.gather(*(cache.get(uid) for _ in range(25)))
        return [*concurrent, await cache.get(uid)]

    users = asyncio.run(page_views())
    assert cache.reads == 1
    assert {u.username for u in users if u is not None} == {"reviewer1"}


def test_an_expired_entry_is_read_again(db) -> None:
    with db.sessions() as s:
        uid = make_user(s, "clerk1", role="submitter", password_hash=cached_hash("demo1234")).id
        s.commit()
    cache = CountingCache(db.sessions, ttl=0)
    first = asyncio.run(cache.get(uid))
    assert first is not None and first.is_active
    with db.sessions() as s:
        s.get(User, uid).is_active = False
        s.commit()
    again = asyncio.run(cache.get(uid))
    assert again is not None and not again.is_active  # a deactivated user is seen at the next read
    assert cache.reads == 2
