"""Family F of the rule catalog (shared/domain/RULES.md): what the text says against 表三.

Compare only where exactly one number is found for a statement (textscan.find).  The scope is
narrow on purpose: statements are looked for in sections 一 and 三, in sentences about requests
(申请), never in clauses about 复议/诉讼, comparisons with last year, or another year.  A false
error on a real report is worse than a missed one.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from workflow.domain.formats import T3_GROUP_LABELS, T3_LEGAL_PERSON_COLUMNS
from workflow.domain.model import Number, Table
from workflow.domain.numbers import as_count
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity, present_table, total
from workflow.rules.textscan import (
    BREAKS,
    COMPARISON,
    Found,
    Scan,
    collect,
    scan,
)

SECTIONS: Final = (1, 3)
REQUESTS: Final = re.compile(r"申请")
# Sentences about other kinds of "申请": 政务服务 applications, hotlines, petitions.
OFF_TOPIC: Final = re.compile(r"政务服务|审批|许可|备案|工单|热线|信访|投诉|办件|便民服务")
NOT_REQUESTS: Final = re.compile(COMPARISON.pattern + r"|复议|诉讼|案件|主动公开")

_FORWARD_WORDS: Final = r"(?:结转|顺延|转入)(?:至|到)?下一?年度?"
_RECEIVED_ALL: Final = (
    r"收办|共收办|(?:新收|收到|受理)(?:的|政府信息公开)?(?:申请)?(?:及|和|与|加|连同)上年结转(?:的)?(?:申请)?"
)
_REST_ACCOUNTED: Final = re.compile(r"撤回|其余|另有|剩余|尚在办理|正在办理|未办结")
_OPEN_AND_PARTIAL: Final = r"(?:予以公开|同意公开|公开)(?:及|和|与|或|以及|并)部分公开"
_NOTHING_RECEIVED: Final = re.compile(r"(?:未|没有)(?:收到|受理|接到|接收)[^，。；\n]{0,15}?申请|无依申请")

_GROUP_WORDS: Final = {
    "granted": r"予以公开|同意公开",  # not after 不/不予/部分: checked in _statements
    "partial": r"部分公开",
    "refused": r"不予公开",
    "unavailable": r"无法提供",
    "not_processed": r"不予处理",
    "other": r"其他处理",
}
_APPLICANTS: Final = {
    "natural": r"自然人",
    "legal_persons": r"法人(?:或|和|及)其他组织|法人",
    "commercial": r"商业企业",
    "research": r"科研机构",
    "welfare": r"社会公益组织",
    "legal": r"法律服务机构",
}


def _after(name: str, keywords: str, gap: int, also_not: str = "") -> str:
    """`<keyword> … N件`: at most `gap` characters, none a digit or a clause break, in between."""
    return rf"(?P<{name}>(?:{keywords})[^\d{BREAKS}{also_not}]{{0,{gap}}}?(?P<n_{name}>\d+)件)"


def _before(name: str, keywords: str, gap: int) -> str:
    """`N件 … <keyword>` ("1件结转下年度继续办理")."""
    return rf"(?P<{name}>(?P<n_{name}>\d+)件[^\d{BREAKS}]{{0,{gap}}}?(?:{keywords}))"


# The characters a statement can start with (the first of every keyword above, or a digit).  The
# look-ahead lets the regex engine pass over every other position with one set test instead of trying
# all the branches there: a third of F1's time.  Keep it in step with the keywords (a test compares).
_STARTS: Final = "收受新接共上办答处结顺转予同部不无其自法商科社公0-9"

# Every statement of the family in one alternation, so each request clause is searched once.  The
# outer group's name says which statement matched ("forward__before" counts as "forward").
_STATEMENTS: Final = re.compile(
    f"(?=[{_STARTS}])(?:"
    + "|".join(
        [
            # Sentences naming two cells at once come first: "收办N件" is new + carried,
            # "予以公开及部分公开N件" is granted + partial.
            _after("received_all", _RECEIVED_ALL, 8),
            _after("g_open_partial", _OPEN_AND_PARTIAL, 4, also_not="信文"),
            _after("received", r"收到|受理|新收|接收|共收", 14),
            _after("carried", r"上年结转|上一年度结转|上年度结转|上年未办结", 8),
            _after("handled", r"办结|答复|办理完毕|处理完毕", 6),
            _after("forward", _FORWARD_WORDS, 8),
            _before("forward__before", _FORWARD_WORDS, 4),
            # A result group then at most 4 characters, none 信/文 (予以公开政府信息…条 is 主动公开).
            *(_after(f"g_{g}", w, 4, also_not="信文") for g, w in _GROUP_WORDS.items()),
            *(_after(f"a_{k}", w, 6) for k, w in _APPLICANTS.items()),
        ]
    )
    + ")"
)


_SHARE: Final = re.compile(r"(\d+)件[，,（(]?(?:占|约占)[^\d%。；\n]{0,8}?(\d+(?:\.\d+)?)%")
_SHARE_SUBJECT: Final = re.compile("|".join(_GROUP_WORDS.values()) + "|" + "|".join(_APPLICANTS.values()))


def _statements(ctx: Context) -> dict[str, Found]:
    """Every statement's numbers in the request clauses of sections 一 and 三, found once per report."""
    got: dict[str, Found] | None = ctx.cache.get("F.statements")
    if got is not None:
        return got
    pairs = collect(
        scan(ctx), SECTIONS, topic=REQUESTS, off_topic=OFF_TOPIC, exclude=NOT_REQUESTS, year=ctx.year
    )
    values: dict[str, list[int]] = {}
    where: dict[str, list[int]] = {}
    for n, clause in pairs:
        for m in _STATEMENTS.finditer(clause):
            key, number, bad = _BRANCHES[m.lastindex or 0]
            if bad is not None and clause[max(0, m.start() - 2) : m.start()].endswith(bad):
                continue
            if key in values:
                values[key].append(as_count(m.group(number)))
                where[key].append(n)
            else:
                values[key] = [as_count(m.group(number))]
                where[key] = [n]
    got = ctx.cache["F.statements"] = {k: Found(tuple(v), tuple(where[k])) for k, v in values.items()}
    return got


_NOTHING: Final = Found()
# What may not come right before a statement's first character.  Checked here rather than as regex
# look-behinds: look-behinds at the start of the alternation make every position try every branch.
_NOT_AFTER: Final = {
    "received": ("未", "没", "没有"),
    "forward__before": tuple("0123456789."),
    "g_granted": ("不", "不予", "部分"),
    "g_open_partial": ("不", "不予"),
}


# By a match's outer group number: the statement's key, its number's group, what may not precede it
# (the per-match work of _statements without string building).
_BRANCHES: Final[dict[int, tuple[str, int, tuple[str, ...] | None]]] = {
    i: (name.split("__")[0], _STATEMENTS.groupindex["n_" + name], _NOT_AFTER.get(name))
    for name, i in _STATEMENTS.groupindex.items()
    if not name.startswith("n_")
}


def _statement(ctx: Context, out: Emitter, what: str, name: str) -> Found | None:
    """The statement's number; None (with a skip when ambiguous) unless exactly one was found."""
    found = _statements(ctx).get(name)
    if found is None:
        return None  # the common case: most statements are not made at all
    if found.ambiguous:
        out.skip(
            f"文字中“{what}”出现了不同的数字（{'、'.join(map(str, sorted(set(found.values))))}），未比较"
        )
        return None
    return found if found.single is not None else None


def _compare(ctx: Context, out: Emitter, found: Found | None, row: str, label: str, what: str) -> int | None:
    """Compare a statement with 表三 row's 总计; returns the stated number."""
    if found is None or found.single is None:
        return None
    t = present_table(ctx, out, "t3", "报告缺少表三，无法与文字核对")
    if t is None:
        return found.single
    cell = t.value(row, "total")
    if cell is None:
        out.skip(f"表三“{label}”总计为空，未与文字核对")
    elif cell != found.single:
        out.add(
            Locator(found.section, "t3", row, "total"),
            f"文字中{what}{found.single}件，与表三“{label}”总计{cell}不一致",
            expected=cell,
            actual=found.single,
        )
    return found.single


# ------------------------------------------------------------------ F1–F4
def _f1(ctx: Context, out: Emitter) -> None:
    _f1_all(ctx, out)
    found = _statement(ctx, out, "收到申请", "received")
    if (
        found is None
        or found.single is None
        or (t := present_table(ctx, out, "t3", "报告缺少表三，无法与文字核对")) is None
    ):
        return
    n, new, carried = found.single, t.value("new", "total"), t.value("carried", "total")
    if new is None:
        out.skip("表三“本年新收”总计为空，未与文字核对")
        return
    if n == new:
        return
    where = Locator(found.section, "t3", "new", "total")
    if carried is not None and n == new + carried:
        # "收到申请75件" counting last year's carried-over requests too (平潭 2022): say so, do not fail.
        out.add(
            where,
            f"文字中收到申请{n}件，等于表三本年新收{new}件加上年结转{carried}件；“收到”应只计本年新收的申请",
            expected=new,
            actual=n,
            severity=Severity.WARNING,
        )
        return
    out.add(where, f"文字中收到申请{n}件，与表三“本年新收”总计{new}不一致", expected=new, actual=n)


def _f1_all(ctx: Context, out: Emitter) -> None:
    """ "收办N件": new and carried-over requests together, against the sum of the two rows."""
    found = _statement(ctx, out, "收办申请", "received_all")
    if found is None or found.single is None:
        return
    t = present_table(ctx, out, "t3", "报告缺少表三，无法与文字核对")
    if t is None:
        return
    both = total((t.value("new", "total"), t.value("carried", "total")))
    if both is None:
        out.skip("表三“本年新收”或“上年结转”总计为空，未与文字核对")
    elif both != found.single:
        out.add(
            Locator(found.section, "t3", "new", "total"),
            f"文字中收办申请{found.single}件（本年新收加上年结转），与表三两行总计之和{both}不一致",
            expected=both,
            actual=found.single,
        )


def _f2(ctx: Context, out: Emitter) -> None:
    _compare(ctx, out, _statement(ctx, out, "上年结转", "carried"), "carried", "二、上年结转", "上年结转")


def _f3(ctx: Context, out: Emitter) -> None:
    found = _statement(ctx, out, "办结", "handled")
    _compare(ctx, out, found, "total", "（七）总计", "办结")


def _f4(ctx: Context, out: Emitter) -> None:
    found = _statement(ctx, out, "结转下年度", "forward")
    forward = _compare(ctx, out, found, "forward", "四、结转下年度继续办理", "结转下年度")
    if forward is None:
        return
    # The text's own balance: received + carried = handled + forwarded, when all four are stated.
    said = _statements(ctx)
    parts = [said.get(k, _NOTHING).single for k in ("received", "carried", "handled")]
    new, carried, handled = parts
    if new is None or handled is None:
        return
    if carried is None:
        # 上年结转 not stated: it is at least 0, so what was received cannot exceed handled + forwarded —
        # unless the text accounts for the rest otherwise (withdrawn, still in hand).
        sc = scan(ctx)
        if new > handled + forward and not any(_REST_ACCOUNTED.search(sc.text(n)) for n in SECTIONS):
            out.add(
                Locator(found.section if found else 1, row="文字勾稽"),
                f"文字中收到{new}件，而办结{handled}件加结转下年度{forward}件只有{handled + forward}件，"
                f"有{new - handled - forward}件没有着落",
                expected=new,
                actual=handled + forward,
            )
        return
    if new + carried != handled + forward:
        out.add(
            Locator(found.section if found else 1, row="文字勾稽"),
            f"文字中收到{new}件加上年结转{carried}件，不等于办结{handled}件加结转下年度{forward}件",
            expected=new + carried,
            actual=handled + forward,
        )


# ------------------------------------------------------------------ F5
_GROUP_NAMES: Final = (("open_partial", "g_open_partial"), *((g, f"g_{g}") for g in _GROUP_WORDS))
_GROUP_SUMS: Final = {"open_partial": ("granted", "partial")}
_GROUP_SUM_LABELS: Final = {"open_partial": "予以公开和部分公开"}
_APPLICANT_NAMES: Final = tuple((k, f"a_{k}") for k in _APPLICANTS)


def _f5(ctx: Context, out: Emitter) -> None:
    spec = ctx.report.spec
    t: Table | None = None
    said = _statements(ctx)
    for group, name in _GROUP_NAMES:
        if name not in said:
            continue  # not stated: nothing to compare (the common case, decided without a call)
        label = _GROUP_SUM_LABELS.get(group) or T3_GROUP_LABELS[group]
        found = _statement(ctx, out, label, name)
        if found is None or found.single is None:
            continue
        if t is None and (t := present_table(ctx, out, "t3", "报告缺少表三，无法与文字核对")) is None:
            return
        parts = _GROUP_SUMS.get(group, (group,))
        rows = tuple(r for g in parts for r in spec.t3_group_rows(g))
        expected = total(t.value(r, "total") for r in rows)
        if expected is None:
            out.skip(f"表三“{label}”有空格，未与文字核对")
            continue
        if expected != found.single:
            out.add(
                Locator(found.section, "t3", rows[0] if len(rows) == 1 else group, "total"),
                f"文字中{label}{found.single}件，与表三该项合计{expected}不一致",
                expected=expected,
                actual=found.single,
            )


# ------------------------------------------------------------------ F6
def _f6(ctx: Context, out: Emitter) -> None:
    sc = scan(ctx)
    denominators: list[int] | None = None  # read from 表三 only when a share is written
    for n in SECTIONS:
        if "%" not in sc.text(n):
            continue
        for sentence in sc.sentences(n):
            if "%" not in sentence or not REQUESTS.search(sentence) or OFF_TOPIC.search(sentence):
                continue
            for m in _SHARE.finditer(sentence):
                if not _SHARE_SUBJECT.search(_clause_before(sentence, m.start())):
                    continue
                if denominators is None:
                    denominators = _denominators(ctx.report.table("t3"))
                if not denominators:
                    out.skip("表三总数为空或为0，无法核对文字中的百分比")
                    return
                _check_share(out, n, as_count(m.group(1)), m.group(2)[:20], denominators)


def _denominators(t: Table) -> list[int]:
    """What "占 x%" may be a share of: new requests, handled requests, or new + carried."""
    new, handled, carried = (t.value(r, "total") for r in ("new", "total", "carried"))
    out = [int(v) for v in (handled, new) if v]
    if new is not None and carried:
        out.append(int(new + carried))
    return out


def _clause_before(sentence: str, end: int) -> str:
    start = max(sentence.rfind(c, 0, end) for c in "，,、：:")
    return sentence[start + 1 : end]


def _check_share(out: Emitter, section: int, count: int, written: str, denominators: list[int]) -> None:
    pct = Decimal(written)
    decimals = len(written.split(".")[1]) if "." in written else 0
    # ±0.1 pp, or half the last written digit when the writer rounded coarser ("43%" for 42.86%).
    tolerance = max(Decimal("0.1"), Decimal("0.5") / (10**decimals)) + Decimal("0.0001")
    if any(abs(Decimal(count) * 100 / d - pct) <= tolerance for d in denominators):
        return
    expected = (Decimal(count) * 100 / denominators[0]).quantize(Decimal("0.1"))
    out.add(
        Locator(section, "t3", row=f"{count}件占比"),
        f"文字中{count}件“占{written}%”，按表三计算应约为{expected}%",
        expected=expected,
        actual=pct,
    )


# ------------------------------------------------------------------ F7
def _f7(ctx: Context, out: Emitter) -> None:
    t: Table | None = None
    said = _statements(ctx)
    for key, name in _APPLICANT_NAMES:
        if name not in said:
            continue  # not stated
        found = _statement(ctx, out, _APPLICANT_LABELS[key], name)
        if found is None or found.single is None:
            continue
        if t is None and (t := present_table(ctx, out, "t3", "报告缺少表三，无法与文字核对")) is None:
            return
        cols = T3_LEGAL_PERSON_COLUMNS if key == "legal_persons" else (key,)
        new = total(t.value("new", c) for c in cols)
        carried = total(t.value("carried", c) for c in cols)
        if new is None:
            out.skip(f"表三“本年新收”{_APPLICANT_LABELS[key]}为空，未与文字核对")
            continue
        # Accept new, or new + carried: "收到申请75件，涉及自然人72件" counts both (平潭 2022; F1 warns).
        if found.single in (new, None if carried is None else new + carried):
            continue
        out.add(
            Locator(found.section, "t3", "new", cols[0] if len(cols) == 1 else "legal_persons"),
            f"文字中{_APPLICANT_LABELS[key]}申请{found.single}件，与表三本年新收{new}不一致",
            expected=new,
            actual=found.single,
        )


_APPLICANT_LABELS: Final = {
    "natural": "自然人",
    "legal_persons": "法人或其他组织",
    "commercial": "商业企业",
    "research": "科研机构",
    "welfare": "社会公益组织",
    "legal": "法律服务机构",
}


# ------------------------------------------------------------------ F9
_BREAKDOWN: Final = re.compile(r"公开[^\d。；\n]{0,20}?(\d+)条[^\d。；\n]{0,12}?(?:其中|包括|包含)(.*)")
_PART: Final = re.compile(r"(\d+)(?:条|件|篇|个|项)")  # parts may count in 件 beside 条 ("部门文件22件")
_PARENS: Final = re.compile(r"（[^）]*）|\([^)]*\)")
_NOT_EXHAUSTIVE: Final = re.compile(r"等|主要|重点|部分|以上|余|多条")


def _f9(ctx: Context, out: Emitter) -> None:
    sc = scan(ctx)
    for n in (1, 2):  # 主动公开 figures live in 一 and 二
        if not any(w in sc.text(n) for w in ("其中", "包括", "包含")):
            continue
        for sentence in sc.sentences(n):
            if not ("其中" in sentence or "包括" in sentence or "包含" in sentence) or "条" not in sentence:
                continue
            if COMPARISON.search(sentence):
                continue
            m = _BREAKDOWN.search(sentence)
            if m is not None:
                _check_breakdown(out, n, as_count(m.group(1)), _PARENS.sub("", m.group(2)))


def _check_breakdown(out: Emitter, section: int, whole: int, rest: str) -> None:
    parts = [as_count(p) for p in _PART.findall(rest)]
    if not parts:
        return
    s = sum(parts)
    exhaustive = len(parts) >= 2 and not _NOT_EXHAUSTIVE.search(rest)
    if s > whole or (exhaustive and s != whole):
        out.add(
            Locator(section, row=f"公开{whole}条"),
            f"文字中公开信息{whole}条，其中各项相加为{s}条，两者不符",
            expected=whole,
            actual=s,
        )


# ------------------------------------------------------------------ F10
def _f10(ctx: Context, out: Emitter) -> None:
    sc = scan(ctx)
    section = _nothing_received(ctx, sc)
    if section is None or (t := present_table(ctx, out, "t3", "报告缺少表三，无法与文字核对")) is None:
        return
    mentions_carried = any("结转" in sc.text(n) for n in SECTIONS)
    for row, label in (("new", "本年新收"), ("carried", "上年结转")):
        if row == "carried" and mentions_carried:
            continue  # "本年未收到申请，上年结转1件已办结": the statement is about new requests only
        v: Number | None = t.value(row, "total")
        if v is None:
            out.skip(f"表三“{label}”总计为空，无法核对“未收到申请”的说法")
        elif v != 0:
            out.add(
                Locator(section, "t3", row, "total"),
                f"文字说未收到政府信息公开申请，但表三“{label}”总计为{v}",
                expected=0,
                actual=v,
            )


_CLAUSE_BREAKS: Final = re.compile(r"[，,；;]")


def _nothing_received(ctx: Context, sc: Scan) -> int | None:
    for n in SECTIONS:
        text = sc.text(n)
        if not ("未" in text or "没有" in text or "无依申请" in text):
            continue
        for sentence in sc.sentences(n):
            # _NOTHING_RECEIVED needs 未, 没有 or 无依申请 in the clause, so in the sentence too.
            if "申请" not in sentence or not (
                "未" in sentence or "没有" in sentence or "无依申请" in sentence
            ):
                continue
            for clause in _CLAUSE_BREAKS.split(sentence):
                if "复议" in clause or "诉讼" in clause:
                    continue
                if _NOTHING_RECEIVED.search(clause):
                    return n
    return None


RULES: Final[list[Rule]] = [
    Rule("F1", Severity.ERROR, "F", "文字中收到的申请数与表三“本年新收”总计不一致", _f1),
    Rule("F2", Severity.ERROR, "F", "文字中上年结转的申请数与表三不一致", _f2),
    Rule("F3", Severity.ERROR, "F", "文字中办结的申请数与表三“总计”不一致", _f3),
    Rule("F4", Severity.ERROR, "F", "文字中结转下年度的申请数与表三不一致", _f4),
    Rule("F5", Severity.ERROR, "F", "文字中各类办理结果的件数与表三不一致", _f5),
    Rule("F6", Severity.WARNING, "F", "文字中的百分比与表三数字算出的不一致", _f6),
    Rule("F7", Severity.WARNING, "F", "文字中自然人、法人或其他组织的申请数与表三不一致", _f7),
    Rule("F9", Severity.WARNING, "F", "文字中公开信息的总数与其中各项之和不符", _f9),
    Rule("F10", Severity.ERROR, "F", "文字说未收到申请，但表三有申请", _f10),
]
