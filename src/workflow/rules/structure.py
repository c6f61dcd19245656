"""Families G and H1 of the rule catalog (shared/domain/RULES.md): the report's skeleton and wording."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Final

from workflow.domain.bodies import PEOPLES_GOVERNMENTS, BodyType
from workflow.domain.formats import SECTION_NUMERALS, SECTION_TITLES, TABLE_NAMES, TABLE_SECTION
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity
from workflow.rules.textscan import BREAKS, normalize, period_of, same_body, scan, title_of

# ------------------------------------------------------------------ G1
_TITLE_NOISE: Final = re.compile(r"[\s、，,。.．:：;；()（）“”\"']")
_TITLE_NUMBER: Final = re.compile(
    r"^(?:第?([一二三四五六])(?:部分)?|[（(]([一二三四五六])[)）]|([1-6]))[、.．,，\s]*"
)
_NUMERAL_VALUE: Final = {v: k for k, v in SECTION_NUMERALS.items()}


@lru_cache(maxsize=1024)
def _title_core(title: str) -> tuple[int | None, str]:
    """(the number the title gives itself, the words without numbering or punctuation)."""
    t = normalize(title).strip()
    m = _TITLE_NUMBER.match(t)
    number = None
    if m is not None:
        g = m.group(1) or m.group(2) or m.group(3)
        number = int(g) if g.isdigit() else _NUMERAL_VALUE[g]
        t = t[m.end() :]
    return number, _TITLE_NOISE.sub("", t)


_TEMPLATE_CORES: Final = {n: _title_core(t)[1] for n, t in SECTION_TITLES.items()}
_CORE_TO_SECTION: Final = {core: n for n, core in _TEMPLATE_CORES.items()}


# Locators are immutable: made once here rather than on every report's pass path.
_SECTION_AT: Final = {n: Locator(n) for n in SECTION_TITLES}
_PERIOD_AT: Final = Locator(row="统计期限")
_TITLE_AT: Final = Locator(row="标题")
_SECTION5_AT: Final = Locator(5)
_SIGNED_AT: Final = Locator(row="落款日期")
_TEMPLATE_AT: Final = Locator(row="模板文字")


def _g1(ctx: Context, out: Emitter) -> None:
    sections = ctx.report.sections
    for n, template in SECTION_TITLES.items():
        where = _SECTION_AT[n]
        s = sections.get(n)
        if s is None:
            out.add(where, f"缺少第{SECTION_NUMERALS[n]}部分“{template}”", expected=template)
            continue
        if s.title is None or not s.title.strip():
            out.add(where, f"第{SECTION_NUMERALS[n]}部分缺少标题“{template}”", expected=template, actual="")
            continue
        number, core = _title_core(s.title)
        if core == _TEMPLATE_CORES[n] and number in (None, n):
            continue
        other = _CORE_TO_SECTION.get(core)
        if other is not None and other != n:
            out.add(
                where,
                f"第{SECTION_NUMERALS[n]}部分的位置上是“{SECTION_TITLES[other]}”，六个部分的顺序不对",
                expected=template,
                actual=s.title,
            )
            continue
        out.add(
            where,
            f"第{SECTION_NUMERALS[n]}部分标题“{s.title.strip()}”与模板“{template}”不一致",
            expected=template,
            actual=s.title.strip(),
            severity=Severity.WARNING,
        )


# ------------------------------------------------------------------ G2
def _g2(ctx: Context, out: Emitter) -> None:
    for tid, name in TABLE_NAMES.items():
        t = ctx.report.tables.get(tid)
        if t is None or not t.present:
            out.add(
                Locator(TABLE_SECTION[tid], tid),
                f"缺少{name}（须以表格形式填报，不能只有标题或以图片代替）",
            )


# ------------------------------------------------------------------ G3
# Each aspect is found by any of its words (literal `in` checks: cheap, and loose on purpose —
# 平潭 2021 writes "平台载体建设").
_ASPECTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("主动公开", ("主动公开", "公开政府信息", "发布", "推送")),
    ("依申请公开", ("依申请", "申请公开", "公开申请")),
    ("政府信息管理", ("信息管理", "公开管理", "发布审核", "保密审查")),
    ("平台建设", ("平台",)),
    ("监督保障", ("监督", "督查", "保障措施", "组织保障", "考核")),
)
_GOVERNMENT_ASPECTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("工作考核", ("考核",)),
    ("社会评议", ("评议",)),
    ("责任追究", ("追责", "责任追究", "问责")),
)


# BodyType is a StrEnum: its values hash and compare as the members do, so a set lookup replaces
# the Enum call (and its ValueError for an unknown type) on every report.
# 工作考核、社会评议和责任追究 are asked of county-level and higher governments: no 乡镇 report in the
# real-report corpus states them (docs/rules-changes.md), and a warning every township must explain
# away each year is noise, not a check.
_PEOPLES_GOVERNMENT_VALUES: Final = frozenset(b.value for b in PEOPLES_GOVERNMENTS - {BodyType.TOWNSHIP})


def _is_peoples_government(body_type: str) -> bool:
    return body_type in _PEOPLES_GOVERNMENT_VALUES


# Words that name an aspect without reporting on it: the public's 监督权, and the outline sentence
# listing the report's six parts ("本报告由总体情况、主动公开政府信息情况、…组成").
_NOT_ASPECT: Final = re.compile(r"监督权|依申请公开工作年度报告")
_PART_NAMES: Final = (
    "总体情况",
    "主动公开政府信息",
    "收到和处理",
    "行政复议",
    "存在的主要问题",
    "其他需要报告",
)


def _content(text: str, sentences: list[str]) -> str:
    if sum(p in text for p in _PART_NAMES) >= 3:  # an outline sentence may be there: drop it
        text = "。".join(s for s in sentences if sum(p in s for p in _PART_NAMES) < 3)
    return _NOT_ASPECT.sub("", text) if "监督权" in text or "依申请公开工作年度报告" in text else text


def _g3(ctx: Context, out: Emitter) -> None:
    if 1 not in ctx.report.sections:
        out.skip("报告缺少第一部分，无法核对总体情况的内容")
        return
    sc = scan(ctx)
    text = _content(sc.text(1), sc.sentences(1))
    aspects = _ASPECTS
    body_type = ctx.report.header.body_type
    if _is_peoples_government(body_type):
        aspects += _GOVERNMENT_ASPECTS
    elif body_type == "other":
        name = ctx.report.header.body_name
        out.skip(
            f"无法从{'“' + name + '”' if name else '报告中的机关名称'}判断机关类型，"
            "未核对人民政府须写的工作考核、社会评议和责任追究情况"
        )
    for name, words in aspects:
        if not any(w in text for w in words):
            out.add(Locator(1, row=name), f"第一部分总体情况没有写“{name}”方面的情况")


# ------------------------------------------------------------------ G4
def _g4(ctx: Context, out: Emitter) -> None:
    y = ctx.year
    if y is None:
        out.skip("无法确定报告年度，未核对信息处理费情况")
        return
    if y < 2021:
        return  # the 信息处理费 rules start on 2021-01-01 (国办函〔2020〕109号)
    if 6 not in ctx.report.sections:
        out.skip("报告缺少第六部分（见 G1），无法核对信息处理费情况")
        return
    text = scan(ctx).text(6)
    if _reports_fees(text):
        return
    out.add(
        Locator(6),
        "第六部分须说明信息处理费的收取情况（发出收费通知的件数和总金额、实际收取的总金额；没有也要写明）",
        actual=text.split("\n", 1)[0][:40] or "（空）",
    )


def _reports_fees(text: str) -> bool:
    """信息处理费 named, or a statement about charging for 信息公开/申请 ("本年度依申请公开未收取任何费用").

    The looser second form keeps a plain but real fee statement from being an error; "暂无其它需要报告的
    事项" and a bare "无" still are.
    """
    if "信息处理费" in text:
        return True
    money = "收费" in text or "费用" in text or "收取" in text
    return money and ("信息处理" in text or "信息公开" in text or "申请" in text)


# ------------------------------------------------------------------ G5
def _g5(ctx: Context, out: Emitter) -> None:
    where = _PERIOD_AT
    p = period_of(ctx)
    if p is None:
        out.add(where, "报告没有写明统计期限（Y年1月1日至Y年12月31日）", severity=Severity.WARNING)
        return
    garbled = _GARBLED.search(p.text)
    if garbled is not None:
        # Digits run together where 年/月 belong ("20221月1日", "202020年", "2025111231日"): a misprint.
        y = ctx.year or "Y"
        out.add(
            where,
            f"统计期限中的日期“{garbled.group(0)}”有错漏（缺“年”“月”或数字多出），应为“{y}年1月1日至{y}年12月31日”",
            expected=f"{y}年1月1日至{y}年12月31日",
            actual=p.text[:60],
        )
        return
    if p.start is None or p.end is None:
        out.add(
            where,
            f"统计期限写法不规范：“{p.text[:40]}”，应为“Y年1月1日至Y年12月31日”",
            actual=p.text[:40],
            severity=Severity.WARNING,
        )
        return
    problem = _period_problem(p.start, p.end)
    if problem:
        y = p.end[0]
        out.add(
            where,
            f"统计期限有误：{problem}，应为“{y}年1月1日至{y}年12月31日”",
            expected=f"{y}年1月1日至{y}年12月31日",
            actual="{}年{}月{}日至{}年{}月{}日".format(*p.start, *p.end),
        )


# ------------------------------------------------------------------ G10
# Text of the template or the drafting left in the published report.
# (what, characters one of which the text must hold, pattern): the `in` tests settle most reports.
_LEFTOVERS: Final[tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...]] = (
    (
        "未填写的签名栏",
        ("签名", "签字"),
        re.compile(r"(?:负责人|领导)签[名字][:：]?\s*(?=$|\n|[（(]|单位|日期)"),
    ),
    (
        "未填写的盖章栏",
        ("盖章", "落款"),
        re.compile(r"[（(]\s*(?:盖章|公章|落款)\s*[)）]|(?:^|\n)\s*(?:落款|盖章)[:：]\s*(?=$|\n)"),
    ),
    ("排版符号“**”", ("**", "#"), re.compile(r"\*\*|(?:^|\n)#{1,6}\s")),
    (
        "占位符“XX”",
        ("XX", "ＸＸ", "××", "xx", "ｘｘ"),
        re.compile(r"[XＸ×xｘ]{2,}(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])[XＸ×ｘ]{2,}"),
    ),
    (
        "填写说明",
        ("填写",),
        re.compile(r"[（(【\[]\s*(?:此处|在此|请)?填写[^）)】\]]{0,20}[)）】\]]|此处填写"),
    ),
    (
        "未填写的日期",
        ("  ", "\u3000", "XX", "××", "ＸＸ"),
        re.compile(r"(?:19|20)?\d{0,2}\s{0,2}年\s{2,}月\s{2,}日|[XＸ×]{2,4}年[XＸ×]{1,2}月"),
    ),
)


# A character every leftover above holds one of (签名, 盖章/落款, ** #, XX, 填写, a wide space; or two spaces).
_LEFTOVER_HINT: Final = "签盖款*#XＸ×xｘ填\u3000"


def _g10(ctx: Context, out: Emitter) -> None:
    report = ctx.report
    h = report.header
    pieces = [(0, h.title), (0, report.preamble)]
    pieces += [(n, f"{s.title or ''}\n{s.text}") for n, s in sorted(report.sections.items())]
    pieces.append((0, h.signature))
    whole = "\n".join(text for _, text in pieces)
    if not any(c in whole for c in _LEFTOVER_HINT) and "  " not in whole:
        return  # the common case, settled by a handful of one-character `in` tests (memchr-fast)
    active = [(what, hints, p) for what, hints, p in _LEFTOVERS if any(x in whole for x in hints)]
    found: dict[int, list[str]] = {}
    for n, text in pieces:
        if not text:
            continue
        for what, hints, pattern in active:
            if not any(x in text for x in hints):
                continue
            m = pattern.search(text)
            if m is not None and what not in found.get(n, []):
                found.setdefault(n, []).append(what)
                found.setdefault(-n - 1, []).append(m.group(0).strip() or what)
    for n in sorted(k for k in found if k >= 0):
        names = "、".join(found[n])
        out.add(
            _SECTION_AT.get(n, _TEMPLATE_AT),
            f"{'报告开头' if n == 0 else '第' + SECTION_NUMERALS[n] + '部分'}留有模板或草稿中的文字（{names}）："
            "请删去或填写完整后再发布",
            expected="无模板文字",
            actual="、".join(found[-n - 1]),
        )


_GARBLED: Final = re.compile(r"\d{5,}\s*[年月日]|(?<!\d)\d{4}\d{1,2}\s*月")


def _period_problem(start: tuple[int, int, int], end: tuple[int, int, int]) -> str:
    for d in (start, end):
        try:
            date(*d)
        except ValueError:
            return "{}年{}月{}日不是有效日期".format(*d)
    if start[0] != end[0]:
        return "起止年份不同"
    if start[1:] != (1, 1):
        return "起始日不是1月1日"
    if end[1:] != (12, 31):
        return "截止日不是12月31日"
    return ""


# ------------------------------------------------------------------ G6
_TITLE: Final = re.compile(r"^(.+?)(?:关于)?(\d{4})年度?[^\d]*政府信息公开工作年度报告$")


def _g6(ctx: Context, out: Emitter) -> None:
    h = ctx.report.header
    title = title_of(ctx)
    where = _TITLE_AT
    y = ctx.year or "Y"
    if not title:
        # Reports cut from a web page carry their title in the page, not in the text: not judged.
        out.skip("导入的文字中没有找到报告标题（网页摘录常不含标题），未核对标题写法")
        return
    m = _TITLE.match(title)
    if m is None:
        out.add(
            where,
            f"标题“{title}”不规范，应为“<机关全称>{y}年政府信息公开工作年度报告”",
            expected=f"{h.body_name or '<机关全称>'}{y}年政府信息公开工作年度报告",
            actual=title,
        )
        return
    written = m.group(1)
    body = normalize(h.body_name)
    # A different body altogether is E4's error; here only a short form of the right body.
    if body and written != body and same_body(written, body) and written in body:
        out.add(
            Locator(row="标题机关名称"),
            f"标题中的机关名称“{written}”应写全称“{body}”",
            expected=body,
            actual=written,
        )


# ------------------------------------------------------------------ G7
_PARTY: Final = re.compile(
    rf"(党建|党风廉政|纪检|工会|团委|共青团|妇联)[^\d{BREAKS}]{{0,12}}?\d+(?:条|篇|期)"
)


def _g7(ctx: Context, out: Emitter) -> None:
    found = sorted({m.group(1) for m in _PARTY.finditer(scan(ctx).text(1))})
    if found:
        out.add(
            Locator(1, row="党群信息"),
            f"第一部分把{'、'.join(found)}等党务、群团信息计入了政府信息公开数量",
            actual="、".join(found),
        )


# ------------------------------------------------------------------ G8
_VAGUE: Final = re.compile(
    r"\d+(?:余|多)(?:万|千|百)?(?:条|件|篇|项|个|次|期)"
    r"|(?:近|上|数|几)(?:十|百|千|万)余?(?:条|件|篇|项|个|次|期)"
    r"|(?:十|百|千|万)余(?:条|件|篇|项|个|次|期)"
)


_VAGUE_HINTS: Final = tuple(
    [
        "余",
        "多",
        "近十",
        "近百",
        "近千",
        "近万",
        "上百",
        "上千",
        "上万",
        "数十",
        "数百",
        "数千",
        "数万",
        "几十",
        "几百",
        "几千",
    ]
)


def _g8(ctx: Context, out: Emitter) -> None:
    text = scan(ctx).text(1)
    # Every hint holds one of these characters: six `in` tests settle the common case.
    if not ("余" in text or "多" in text or "十" in text or "百" in text or "千" in text or "万" in text):
        return
    if not any(h in text for h in _VAGUE_HINTS):
        return
    found = list(dict.fromkeys(m.group(0) for m in _VAGUE.finditer(text)))
    if found:
        out.add(
            Locator(1, row="约数"),
            f"第一部分使用了约数（{'、'.join(found[:5])}），请写准确数字",
            actual="、".join(found),
        )


# ------------------------------------------------------------------ G9
_BARE: Final = re.compile(r"^(?:无|暂无|没有|无问题|暂无问题|本年度无|不存在问题|无其他)?$")
_PROBLEM: Final = re.compile(
    r"问题|不足|有待|不够|欠缺|薄弱|短板|差距|仍需|尚需|滞后|单一|不到位|不及时|不规范"
)
_MEASURE: Final = re.compile(r"改进|措施|加强|完善|提升|提高|推进|整改|优化|建立|健全|落实|规范|丰富")
_SHORT: Final = 100


def _g9(ctx: Context, out: Emitter) -> None:
    if 5 not in ctx.report.sections:
        out.skip("报告缺少第五部分（见 G1）")
        return
    text = scan(ctx).text(5)
    if len(text) >= 2 * _SHORT:
        return  # long enough to say something; whether it says enough is the reviewer's call
    text = _TITLE_NOISE.sub("", text)
    where = _SECTION5_AT
    if _BARE.match(text):
        out.add(where, "第五部分不能为空或只写“无”，须写明存在的主要问题和改进措施", actual=text or "（空）")
    elif len(text) < _SHORT and not (_PROBLEM.search(text) and _MEASURE.search(text)):
        out.add(where, "第五部分过于简单，没有写出具体问题和改进措施", actual=text)


# ------------------------------------------------------------------ H1
def _h1(ctx: Context, out: Emitter) -> None:
    d, y = ctx.report.header.report_date, ctx.year
    if d is None:
        out.skip("报告没有落款日期，无法核对")
        return
    if y is None:
        out.skip("无法确定报告年度，未核对落款日期")
        return
    where = _SIGNED_AT
    if d <= date(y, 12, 31):
        out.add(where, f"落款日期{d.isoformat()}不晚于{y}年12月31日，年度尚未结束", actual=d.isoformat())
    elif d > ctx.today:
        out.add(where, f"落款日期{d.isoformat()}晚于今天", actual=d.isoformat())


RULES: Final[list[Rule]] = [
    Rule("G1", Severity.ERROR, "G", "报告应有六个部分，按顺序排列，标题与模板一致", _g1),
    Rule("G2", Severity.ERROR, "G", "表二、表三、表四须以表格形式填报", _g2),
    Rule("G3", Severity.WARNING, "G", "第一部分总体情况应写全各方面的工作", _g3),
    Rule("G4", Severity.ERROR, "G", "第六部分须说明信息处理费的收取情况", _g4),
    Rule("G5", Severity.ERROR, "G", "统计期限应为“Y年1月1日至Y年12月31日”", _g5),
    Rule("G6", Severity.WARNING, "G", "标题应为“<机关全称>Y年政府信息公开工作年度报告”", _g6),
    Rule("G7", Severity.WARNING, "G", "党务、群团信息不应计入政府信息公开数量", _g7),
    Rule("G8", Severity.WARNING, "G", "第一部分不应使用“300余条”“近百条”之类的约数", _g8),
    Rule("G9", Severity.ERROR, "G", "第五部分须写明存在的主要问题和改进措施", _g9),
    Rule(
        "G10", Severity.WARNING, "G", "报告中不应留有模板或草稿中的文字（签名栏、占位符、排版符号等）", _g10
    ),
    Rule("H1", Severity.ERROR, "H", "落款日期应在报告年度结束之后，且不晚于今天", _h1),
]
