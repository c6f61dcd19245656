"""Generated, internally consistent reports: for property tests, benchmarks and the demo seed.

A report made here must pass every rule with no finding at all (a test holds us to it), so it
doubles as the reference for what a clean report looks like.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from workflow.domain.bodies import PEOPLES_GOVERNMENTS, BodyType, infer_body_type
from workflow.domain.formats import (
    FORMATS,
    SECTION_TITLES,
    T3_LEGAL_PERSON_COLUMNS,
    FormatId,
)
from workflow.domain.model import Header, Report, Section, Table

_PLACES = (
    "鲁沙尔",
    "多巴",
    "上新庄",
    "田家寨",
    "甘河滩",
    "共和",
    "拦隆口",
    "李家山",
    "西堡",
    "土门关",
    "海子沟",
)
_DEPTS = (
    "教育局",
    "民政局",
    "财政局",
    "自然资源局",
    "住房和城乡建设局",
    "卫生健康局",
    "应急管理局",
    "市场监督管理局",
)


def sample_body(rng: random.Random) -> tuple[str, BodyType]:
    kind = rng.choice(("township", "street", "department"))
    place = rng.choice(_PLACES)
    if kind == "township":
        name = f"{place}镇人民政府"
    elif kind == "street":
        name = f"{place}街道办事处"
    else:
        name = f"西宁市湟中区{rng.choice(_DEPTS)}"
    return name, infer_body_type(name)


def sample_report(
    rng: random.Random,
    *,
    year: int = 2026,
    body_name: str | None = None,
    previous: Report | None = None,
    with_requests: bool | None = None,
) -> Report:
    if body_name is None:
        body_name, body_type = sample_body(rng)
    else:
        body_type = infer_body_type(body_name)
    if with_requests is None:
        with_requests = rng.random() < 0.7
    t2 = _table_two(rng, body_type, previous)
    t3 = _table_three(rng, with_requests, previous)
    t4 = _table_four(rng, with_requests)
    report = Report(
        header=Header(
            body_name=body_name,
            body_type=body_type.value,
            year=year,
            title=f"{body_name}{year}年政府信息公开工作年度报告",
            period_text=f"本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。",
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            report_date=date(year + 1, 1, rng.randint(5, 20)),
            signature=body_name,
        ),
        format=FormatId.F2021,
        preamble=_preamble(body_name, year),
        tables={"t2": t2, "t3": t3, "t4": t4},
    )
    report.sections = _sections(rng, report, body_type)
    return report


def _preamble(body: str, year: int) -> str:
    return (
        "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室"
        "关于政府信息公开工作年度报告格式的要求，编制本报告。本报告由总体情况、主动公开政府信息情况、"
        "收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、"
        "其他需要报告的事项六个部分组成。"
        f"本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。"
        f"本报告电子版可在{body}政府信息公开专栏下载。如对本报告有疑问，请与{body}党政办公室联系（电话：0971-2231234）。"
    )


def _table_two(rng: random.Random, body_type: BodyType, previous: Report | None) -> Table:
    t = Table()
    for col in ("issued", "repealed", "in_force"):
        t.set("regulations", col, 0)
    rule_docs = body_type not in (BodyType.TOWNSHIP, BodyType.STREET)
    issued = rng.randint(0, 12) if rule_docs else 0
    prev_in_force = previous.table("t2").value("normative", "in_force") if previous else None
    base = int(prev_in_force) if prev_in_force is not None else rng.randint(0, 40)
    repealed = rng.randint(0, min(base, 5))
    t.set("normative", "issued", issued)
    t.set("normative", "repealed", repealed)
    t.set("normative", "in_force", base + issued - repealed)
    t.set("licensing", "decisions", rng.randint(0, 300))
    t.set("penalty", "decisions", rng.randint(0, 80))
    t.set("enforcement", "decisions", rng.randint(0, 10))
    t.set("fees", "amount", Decimal(rng.randint(0, 500000)) / Decimal(10000) if rule_docs else Decimal(0))
    return t


def _table_three(rng: random.Random, with_requests: bool, previous: Report | None) -> Table:
    spec = FORMATS[FormatId.F2021].table("t3")
    t = Table()
    for row in spec.row_keys:
        for col in ("natural", *T3_LEGAL_PERSON_COLUMNS):
            t.set(row, col, 0)
    prev_t3 = previous.table("t3") if previous else None
    for col in ("natural", *T3_LEGAL_PERSON_COLUMNS):
        carried = 0
        if prev_t3 is not None:
            carried = int(prev_t3.value("forward", col) or 0)
        new = 0
        prev_new = int(prev_t3.value("new", col) or 0) if prev_t3 is not None else None
        if prev_new is not None and with_requests:
            new = max(1 if col == "natural" else 0, prev_new + rng.randint(-3, 3))
        elif with_requests and (col == "natural" or rng.random() < 0.3):
            new = rng.randint(1, 30) if col == "natural" else rng.randint(0, 4)
        forward = min(new, rng.randint(0, max(0, int(new * 0.3))))
        handled = new + carried - forward
        t.set("new", col, new)
        t.set("carried", col, carried)
        t.set("forward", col, forward)
        t.set("total", col, handled)
        for key, n in _spread(rng, handled).items():
            t.set(key, col, n)
    for row in spec.row_keys:
        t.set(row, "total", sum(int(t.value(row, c) or 0) for c in ("natural", *T3_LEGAL_PERSON_COLUMNS)))
    return t


# Result rows a generated report spreads its handled requests over (d1 and o2 would raise notices).
_SPREAD_ROWS = ("granted", "partial", "d4", "d5", "d6", "u1", "u2", "n1", "n2", "o1", "o3")


def _spread(rng: random.Random, handled: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for _ in range(handled):
        key = rng.choice(_SPREAD_ROWS[:3]) if rng.random() < 0.6 else rng.choice(_SPREAD_ROWS)
        out[key] = out.get(key, 0) + 1
    return out


def _table_four(rng: random.Random, with_requests: bool) -> Table:
    t = Table()
    for row in ("review", "direct", "after_review"):
        cells = [0, 0, 0, 0]
        if with_requests and rng.random() < 0.3:
            cells = [rng.randint(0, 2), rng.randint(0, 1), rng.randint(0, 1), 0]
        for col, n in zip(("upheld", "corrected", "other", "pending"), cells, strict=True):
            t.set(row, col, n)
        t.set(row, "total", sum(cells))
    return t


_PROBLEMS = (
    "政策解读形式较为单一",
    "公开专栏更新不够及时",
    "工作人员业务培训不足",
    "基层公开内容的规范性有待提高",
    "依申请公开答复文书不够规范",
    "政务新媒体互动回应偏少",
    "重点领域信息公开深度不足",
    "公开目录梳理不够细致",
)
_MEASURES = (
    "运用图表图解、问答等方式丰富政策解读",
    "建立专栏更新台账，每月检查一次",
    "每季度组织一次业务培训",
    "制定公开内容审核清单，统一发布格式",
    "修订依申请公开答复模板，增加法律审核环节",
    "安排专人负责政务新媒体留言回复",
    "细化重点领域公开事项清单，逐项落实责任",
    "按季度更新主动公开目录",
)
_FIXES = (
    "已组织专题培训并完成专栏整改",
    "已修订工作制度并逐项整改到位",
    "已完成栏目梳理，整改事项全部办结",
    "已建立月度检查机制，问题已整改",
)


def _sections(rng: random.Random, report: Report, body_type: BodyType) -> dict[int, Section]:
    t3 = report.table("t3")
    new, carried = t3.value("new", "total"), t3.value("carried", "total")
    handled, forward = t3.value("total", "total"), t3.value("forward", "total")
    short = "镇" if body_type is BodyType.TOWNSHIP else ("街道" if body_type is BodyType.STREET else "局")
    if new or carried:
        requests = f"全年新收政府信息公开申请{new}件，上年结转{carried}件，办结{handled}件，结转下年度继续办理{forward}件。"
    else:
        requests = "全年未收到政府信息公开申请。"
    oversight = "健全政务公开工作责任制，定期检查公开专栏更新情况。"
    if body_type in PEOPLES_GOVERNMENTS:
        oversight += "将政务公开纳入年度工作考核，组织社会评议，全年未发生责任追究情形。"
    overview = (
        f"（一）主动公开。我{short}通过政府网站和公开栏主动公开政策文件、工作动态、财政资金等政府信息，"
        "做到应公开尽公开。\n"
        f"（二）依申请公开。规范申请登记、办理、答复流程。{requests}\n"
        "（三）政府信息管理。落实公开前保密审查和发布审核制度，动态更新政府信息公开指南。\n"
        "（四）政府信息公开平台建设。加强政府网站信息公开专栏和政务新媒体管理，及时更新栏目内容。\n"
        f"（五）监督保障。{oversight}"
    )
    problems = rng.sample(_PROBLEMS, 2)
    measures = rng.sample(_MEASURES, 2)
    improvements = (
        f"（一）存在的主要问题：一是{problems[0]}；二是{problems[1]}。\n"
        f"（二）改进情况：一是{measures[0]}；二是{measures[1]}。\n"
        f"（三）上年度问题整改情况：针对上年度报告提出的{rng.choice(_PROBLEMS)}问题，{rng.choice(_FIXES)}。"
    )
    other = "本年度未发出信息处理费收费通知，未收取信息处理费。"
    texts = {1: overview, 2: "", 3: "", 4: "", 5: improvements, 6: other}
    return {n: Section(SECTION_TITLES[n], texts[n]) for n in range(1, 7)}
