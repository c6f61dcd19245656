"""Issue #16.3: a district of 40 bodies with approved reports, summed, checked one by one; planted
outliers found; the xlsx and the district government's draft carry the sums."""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.integration.test_publication_support import approved_report, season
from workflow.db.factories import make_body
from workflow.db.models import Body, ReportRow
from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.model import Report, Section
from workflow.domain.samples import sample_report
from workflow.exporters.summary_xlsx import summary_workbook
from workflow.services import summary as summary_service
from workflow.services.drafts import create_report, save_draft

N = 40
PLANTED_TEXT = (
    "我们在辖区内首创“公开夜市”服务，每周四晚在文化广场摆摊答疑，现场受理群众查询并当场反馈处理意见，"
    "累计接待群众一千二百余人次，收集意见建议八十六条，均已逐条回复。"
)


def _name(i: int) -> str:
    return (f"汇总{i}镇人民政府", f"汇总{i}街道办事处", f"西宁市湟中区汇总{i}局")[i % 3]


def _reports() -> list[Report]:
    rng = random.Random(1616)
    reports = [sample_report(rng, year=2026, body_name=_name(i)) for i in range(N)]
    # ten times: the licensing decisions of body 3 (a township) far above every other township's
    peers = [r for r in reports if r.header.body_type == reports[3].header.body_type]
    top = max(int(r.table("t2").value("licensing", "decisions") or 0) for r in peers)
    reports[3].tables["t2"].set("licensing", "decisions", 10 * top + 7)
    # identical tables: body 9 (a township, like body 6) copies body 6's three tables and its overview
    reports[9].tables = copy.deepcopy(reports[6].tables)
    reports[9].sections[1] = Section(reports[6].sections[1].title, reports[6].sections[1].text)
    # copied text: body 13's problems section is body 10's, word for word
    reports[10].sections[5].text += "\n" + PLANTED_TEXT
    reports[13].sections[5] = Section(reports[10].sections[5].title, reports[10].sections[5].text)
    return reports


@pytest.mark.both_backends
def test_district_summary_sums_outliers_and_exports(session, clock) -> None:
    # ~5-10 s: the 40 reports go through the real services (start, submit with the rule catalog,
    # checks, every review stage), as the issue asks: approved reports, not rows written by hand.
    reports = _reports()
    ids = [approved_report(session, r) for r in reports]
    jurisdiction_id = session.scalar(select(Body.jurisdiction_id).limit(1))
    # one more body still drafting: it does not count
    extra = sample_report(random.Random(5), year=2026, body_name="未审核镇人民政府")
    body = make_body(session, "未审核镇人民政府")
    session.commit()
    create_report(session, body_id=body.id, season_id=season(session, 2026).id, actor_id=None, content=extra)

    result = summary_service.district_summary(session, jurisdiction_id, 2026)
    s = result.current
    assert s.count == N and s.format is FormatId.F2021
    counted = reports
    # every cell of every table, against the reports one by one
    for table in FORMATS[FormatId.F2021].tables:
        for r in table.rows:
            for c in r.columns:
                want = sum(Decimal(x.table(table.id).value(r.key, c.key) or 0) for x in counted)
                assert s.value(table.id, r.key, c.key) == want, (table.id, r.key, c.key)
                by_type = sum(
                    Decimal(x.table(table.id).value(r.key, c.key) or 0)
                    for x in counted
                    if x.header.body_type == "township"
                )
                assert s.value(table.id, r.key, c.key, "township") == by_type
    assert sum(s.type_counts.values()) == N
    assert result.previous.count == 0

    # the planted outliers, and nothing else
    flagged: dict[int, set[str]] = {}
    for o in result.outliers:
        flagged.setdefault(o.report_id, set()).add(o.kind)
    assert "ten_times" in flagged.pop(ids[3])
    assert "identical_tables" in flagged.pop(ids[6])
    assert "identical_tables" in flagged.pop(ids[9])
    assert "copied_text" in flagged.pop(ids[10])
    assert "copied_text" in flagged.pop(ids[13])
    assert flagged == {}, flagged
    ten = next(o for o in result.outliers if o.kind == "ten_times")
    assert (
        "行政许可" in ten.reason and str(reports[3].table("t2").value("licensing", "decisions")) in ten.reason
    )

    # xlsx: the summary sheet holds the sums under the national labels
    wb = load_workbook(BytesIO(summary_workbook(result.jurisdiction, s, result.previous, result.outliers)))
    ws = wb["全区汇总"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    t3 = FORMATS[FormatId.F2021].table("t3")
    for r in t3.rows:
        found = next(x for x in rows if x[1] == r.label)
        assert found[2:9] == [int(s.value("t3", r.key, c.key)) for c in r.columns], r.key
    licensing = next(i for i, x in enumerate(rows) if x[1] == "行政许可")
    assert rows[licensing + 1][2] == int(s.value("t2", "licensing", "decisions"))
    assert any("汇总13" in str(x[0]) for x in wb["需关注的单位"].iter_rows(values_only=True))

    # the district government's own draft: created (with its body), then updated in place
    report_id = summary_service.make_district_draft(
        session, jurisdiction_id=jurisdiction_id, year=2026, actor_id=None
    )
    draft_row = session.get(ReportRow, report_id, populate_existing=True)
    assert draft_row is not None and draft_row.state == "draft"
    assert draft_row.body.body_type == "county_government" and draft_row.body.name.endswith("人民政府")
    draft = Report.from_dict(draft_row.draft)
    for table in FORMATS[FormatId.F2021].tables:
        for r in table.rows:
            for c in r.columns:
                assert Decimal(draft.table(table.id).value(r.key, c.key) or 0) == s.value(
                    table.id, r.key, c.key
                ), (table.id, r.key, c.key)
    assert f"新收政府信息公开申请 {int(s.value('t3', 'new', 'total'))} 件" in draft.section_text(1)
    draft.sections[5].text = "区政府办公室写下的问题与改进。"
    save_draft(
        session, report_id=report_id, content=draft, expected_revision=draft_row.draft_revision, actor_id=None
    )
    again = summary_service.make_district_draft(
        session, jurisdiction_id=jurisdiction_id, year=2026, actor_id=None
    )
    assert again == report_id
    kept = Report.from_dict(session.get(ReportRow, report_id, populate_existing=True).draft)
    assert kept.section_text(5) == "区政府办公室写下的问题与改进。"
    # the district's own report never counts in its own summary
    assert summary_service.district_summary(session, jurisdiction_id, 2026).current.count == N


def _row(session, body, season_id, state, versions, published):
    """A report with `versions` (contents, oldest first), the version numbers in `published` published."""
    from datetime import UTC, datetime

    from workflow.db.models import Publication, ReportVersion

    row = ReportRow(
        body_id=body.id,
        season_id=season_id,
        state=state,
        draft=versions[-1].to_dict(),
        latest_version=len(versions),
    )
    session.add(row)
    session.flush()
    for number, content in enumerate(versions, start=1):
        v = ReportVersion(
            report_id=row.id, number=number, content=content.to_dict(), content_hash=content.content_hash()
        )
        session.add(v)
        session.flush()
        if number in published:
            at = datetime(2027, 1, 20, tzinfo=UTC)
            session.add(
                Publication(report_id=row.id, version_id=v.id, published_at=at, first_published_at=at)
            )
    return row.id


@pytest.mark.both_backends
def test_which_version_counts(session) -> None:
    """Approved: its latest version; published and being corrected: the version last published; in
    review for the first time: nothing.  The public summary counts published versions only."""
    rng = random.Random(9)
    s2026 = season(session, 2026)

    def report(name: str, new: int) -> Report:
        r = sample_report(rng, year=2026, body_name=name)
        r.tables["t3"].set("new", "natural", new)
        r.tables["t3"].set("new", "total", new)
        return r

    a = make_body(session, "甲镇人民政府")
    b = make_body(session, "乙镇人民政府")
    c = make_body(session, "丙镇人民政府")
    _row(session, a, s2026.id, "approved", [report("甲镇人民政府", 1)], published=set())
    _row(
        session,
        b,
        s2026.id,
        "in_review",
        [report("乙镇人民政府", 10), report("乙镇人民政府", 1000)],
        published={1},
    )
    _row(session, c, s2026.id, "in_review", [report("丙镇人民政府", 100)], published=set())
    session.commit()
    jid = a.jurisdiction_id
    office = summary_service.district_summary(session, jid, 2026)
    assert office.current.count == 2 and office.current.value("t3", "new", "total") == 11
    public = summary_service.district_summary(session, jid, 2026, published_only=True)
    assert public.current.count == 1 and public.current.value("t3", "new", "total") == 10
    assert summary_service.published_years(session, jid) == [2026]
