"""Pending imports (services/imports.py): bound to their user and report, expiring after a day, applied
only on the revision they were previewed from."""

from __future__ import annotations

import json
import os
import random
import time

import pytest

from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import ReportRow
from workflow.domain.formats import FormatId
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.services import drafts, imports
from workflow.services.accounts import cached_hash
from workflow.services.errors import StaleVersion

pytestmark = pytest.mark.both_backends


@pytest.fixture
def draft(db):
    with db.sessions() as s:
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer")
        season = make_season(s, 2024)
        user = make_user(s, "lushaer", body=body, password_hash=cached_hash("demo1234"))
        s.commit()
        ids = (body.id, season.id, user.id)
    content = sample_report(random.Random(2), year=2024, body_name="鲁沙尔镇人民政府")
    with db.sessions() as s:
        rid = drafts.create_report(s, body_id=ids[0], season_id=ids[1], actor_id=ids[2], content=content)
    return rid, ids[2], content


def _row(db, rid: int) -> ReportRow:
    with db.sessions() as s:
        row = s.get(ReportRow, rid)
        s.expunge(row)
        return row


def test_a_format_switch_is_applied_only_on_confirm(db, tmp_path, draft):
    rid, uid, content = draft
    pid = imports.format_pending(
        tmp_path, user_id=uid, report_id=rid, current=content, target=FormatId.F2019, revision=1
    )
    assert _row(db, rid).draft_revision == 1
    pending = imports.load_pending(tmp_path, pid, user_id=uid, report_id=rid)
    assert pending is not None and pending.kind == "format"
    with db.sessions() as s:
        imports.apply_pending(s, tmp_path, pending, actor_id=uid)
    row = _row(db, rid)
    assert row.draft_revision == 2 and Report.from_dict(row.draft).format is FormatId.F2019
    assert imports.load_pending(tmp_path, pid, user_id=uid, report_id=rid) is None  # used up


def test_a_pending_import_is_bound_and_expires(db, tmp_path, draft):
    rid, uid, content = draft
    pid = imports.format_pending(
        tmp_path, user_id=uid, report_id=rid, current=content, target=FormatId.F2019, revision=1
    )
    assert imports.load_pending(tmp_path, pid, user_id=uid + 1, report_id=rid) is None
    assert imports.load_pending(tmp_path, pid, user_id=uid, report_id=rid + 1) is None
    assert imports.load_pending(tmp_path, "../../etc/passwd", user_id=uid, report_id=rid) is None
    path = tmp_path / "pending-imports" / f"{pid}.json"
    data = json.loads(path.read_text("utf-8"))
    data["created"] = time.time() - imports.PENDING_TTL - 1
    path.write_text(json.dumps(data), "utf-8")
    assert imports.load_pending(tmp_path, pid, user_id=uid, report_id=rid) is None
    assert not path.exists()
    # An old file nobody came back for is swept when the next preview is made.
    other = imports.format_pending(
        tmp_path, user_id=uid, report_id=rid, current=content, target=FormatId.F2019, revision=1
    )
    old = tmp_path / "pending-imports" / f"{other}.json"
    os.utime(old, (time.time() - imports.PENDING_TTL - 10,) * 2)
    imports.format_pending(
        tmp_path, user_id=uid, report_id=rid, current=content, target=FormatId.F2019, revision=1
    )
    assert not old.exists()


def test_a_stale_preview_is_refused_and_the_newer_draft_kept(db, tmp_path, draft):
    rid, uid, content = draft
    pid = imports.format_pending(
        tmp_path, user_id=uid, report_id=rid, current=content, target=FormatId.F2019, revision=1
    )
    with db.sessions() as s:
        drafts.save_draft(s, report_id=rid, content=content, expected_revision=1, actor_id=uid)
    pending = imports.load_pending(tmp_path, pid, user_id=uid, report_id=rid)
    assert pending is not None
    with db.sessions() as s, pytest.raises(StaleVersion, match="导入没有执行"):
        imports.apply_pending(s, tmp_path, pending, actor_id=uid)
    row = _row(db, rid)
    assert row.draft_revision == 2 and Report.from_dict(row.draft).format is FormatId.F2021
