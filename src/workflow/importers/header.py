"""Header facts from a report's text: body name, year, 统计期限, 落款 date and signature."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from workflow.domain.bodies import BodyType, infer_body_type

_TITLE_SUFFIX = re.compile(
    r"信息公开(?:工作)?\s*(?:(?:19|20)\d\d\s*年度?)?\s*(?:工作)?\s*(?:年度)?\s*(?:工作)?\s*报告.*$"
)
_TRAILING_YEAR = re.compile(r"(?:19|20)\d\d\s*年度?$")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d\d)\s*年")
_UNIT_NAME = re.compile(r"单位名称\s*[:：]\s*([^\s:：，,。]+)")
_PERIOD_WORD = re.compile(
    r"统计(?:数据的?)?(?:期限|时限|期间|时间|区间|周期|时段)|数据(?:的)?(?:统计)?(?:期限|时限|时段)"
    r"|(?:涵盖|覆盖)[^。\n]{0,30}?(?:19|20)\d\d\s*年\s*1\s*月\s*1\s*日"
)
_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_AS_OF = re.compile(r"截[至止]\s*((?:19|20)\d\d)\s*年\s*12\s*月\s*31\s*日")
_AGGREGATES = re.compile(r"汇总编制|汇总[^。；]{0,40}?各[^。；]{0,30}?(?:单位|部门|乡镇|街道|机关)")
_LINE_DATE = re.compile(r"^((?:19|20)\d\d)[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?$")
_CN_LINE_DATE = re.compile(
    r"^([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
_SIGN_SUFFIXES = (
    "政府",
    "办公室",
    "办事处",
    "委员会",
    "管委会",
    "局",
    "委",
    "办",
    "中心",
    "院",
    "厅",
    "部",
    "所",
    "队",
    "站",
    "处",
    "街道",
    "镇",
    "乡",
    "区",
    "县",
    "市",
    "公司",
    "小组",
    "党委",
)
_SENTENCE_MARKS = frozenset("。，,；;：:！？!?“”")


def body_from_title(title: str) -> str:
    """'鲁沙尔镇人民政府2024年政府信息公开工作年度报告' -> '鲁沙尔镇人民政府'."""
    rest = _TITLE_SUFFIX.sub("", clean_title(title).replace(" ", "").replace("\u3000", ""))
    if rest.endswith("政府") and (not rest.endswith("人民政府") or rest.endswith("政府政府")):
        rest = rest[:-2]  # the 政府 of 政府信息公开, not the body's own 人民政府
    rest = _TRAILING_YEAR.sub("", rest)
    rest = _LEADING_YEAR.sub("", rest)  # "2022年金华市市场监管局…": the year before the name
    return rest.removeprefix("关于").strip("《》<> ")


# A web page's label before the title ("文件名称：", "标题："), a tag ("【图文】"), quotes around it.
_TITLE_LABEL = re.compile(
    r"^(?:【[^】]{1,8}】|\[[^\]]{1,8}\])?\s*(?:(?:文件名称|文件标题|标题|题目|名称)\s*[:：]\s*)?"
)
_LEADING_YEAR = re.compile(r"^(?:19|20)\d\d\s*年度?")


def clean_title(title: str) -> str:
    """The title without a page's label or tag in front: '【图文】X年度报告' -> 'X年度报告'."""
    return _TITLE_LABEL.sub("", title.strip(), count=1).strip().strip("《》")


def is_body_name(text: str) -> bool:
    """A name that says what kind of body it is (镇, 街道, 局, 人民政府 …)."""
    return bool(text) and body_type_of(text) is not BodyType.OTHER


def body_type_of(name: str) -> BodyType:
    """infer_body_type, also for a government named by its place ("东宝区" reporting for itself) and for
    "…人民政府机关"."""
    kind = infer_body_type(name)
    if kind is BodyType.OTHER and name.endswith("机关") and len(name) > 4:
        kind = infer_body_type(name[:-2])
    if kind is BodyType.OTHER and len(name) >= 3 and name.endswith(("区", "县", "旗")):
        kind = infer_body_type(name + "人民政府")
    return kind


def joins_title(head: str, title: str) -> bool:
    """`head` is the first line of a title wrapped over two lines ("五常市民意乡" / "2021年…年度报告",
    "西咸新区底张街道办事处2023年度政府" / "信息公开工作年度报告"): the line alone names no body, the
    two together do."""
    head = head.strip()
    if not head or len(head) > 40 or any(c in _SENTENCE_MARKS for c in head) or "报告" in head:
        return False
    if is_body_name(body_from_title(title)):
        return False
    joined = head + title.strip()
    body = body_from_title(joined)
    return "信息公开" in joined and (is_body_name(body) or any(w in body for w in _BODY_WORDS))


# Words that make a line a body's name even where its ending says no type ("城口县人民政府机关").
_BODY_WORDS = ("人民政府", "政府", "街道", "办事处", "委员会", "管委会", "局", "镇", "乡")


_PUBLISHER = re.compile(r"(?:发布机构|发文机关|发布单位|来源|编制单位)\s*[:：]\s*([^\s:：，,。|]{2,40})")
# "现将进贤县市场监督管理局2022年政府信息公开工作年度报告…", "发布《临洮县新添镇2022年…报告》",
# "绍兴市越城区东湖街道特编制2023年政府信息公开年度报告": a body's name right before the report's own name.
_REPORT_NAME = re.compile(
    r"([\u4e00-\u9fff（）()]{2,40}?)(?:特|现)?(?:编制|发布|公布)?(?:了)?《?((?:19|20)\d\d)\s*年度?"
    r"(?:政府)?信息公开(?:工作)?(?:年度)?报告"
)
_COMPILED_BY = re.compile(r"由([\u4e00-\u9fff（）()]{2,40}?)(?:负责)?(?:编制|编写|起草)")
_LEAD_WORDS = re.compile(r"^.*?(?:现将|现发布|现公布|特编制|编制|发布|公布|公开|要求|关于|根据|按照|依据)")
_NAME_TAIL = re.compile(r"(?:党政综合办公室|党政办公室|党政办|综合办公室|办公室)$")


def publisher(text: str) -> str:
    """The body named by a page's '发布机构：' line."""
    m = _PUBLISHER.search(text)
    if m is None:
        return ""
    name = re.sub(r"[（(][^）)]*[）)]$", "", m.group(1))  # "金华市市场监管局(知识产权局)"
    return name if is_body_name(name) else ""


def body_from_text(text: str) -> tuple[str, int | None]:
    """A body's name (and the year) where the text names the report or who compiled it."""
    for m in _REPORT_NAME.finditer(text):
        name = _body_tail(m.group(1))
        if name:
            return name, int(m.group(2))
    for m in _COMPILED_BY.finditer(text):
        name = _body_tail(_NAME_TAIL.sub("", m.group(1)))
        if name:
            return name, None
    return "", None


def _body_tail(words: str) -> str:
    """The body's name at the end of `words`, without the verb or clause in front of it."""
    words = _LEAD_WORDS.sub("", words.strip("《》 "))
    words = re.sub(r"^(?:我|本)(?:单位|机关)?", "", words)
    for start in range(len(words) - 1):
        candidate = words[start:]
        if is_body_name(candidate) and len(candidate) >= 3:
            return candidate
    return ""


_NAMED_BODY = re.compile(
    r"([\u4e00-\u9fff]{2,12}?(?:街道办事处|镇人民政府|乡人民政府|区人民政府|县人民政府|市人民政府|管理委员会))"
    r"|([\u4e00-\u9fff]{1,8}?(?:区|县|旗)[\u4e00-\u9fff]{1,10}?局)"
)


def body_named_in(text: str) -> str:
    """The first full body name the text uses ("官洲街道办事处认真贯彻…")."""
    for m in _NAMED_BODY.finditer(text):
        name = _body_tail(m.group(1) or m.group(2))
        if name:
            return name
    return ""


_ANY_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


def year_in_text(text: str) -> int | None:
    """The year the opening of the text speaks of most ("2023年，在区委…"), when nothing else says it."""
    years = [int(y) for y in _ANY_YEAR.findall(text[:600])]
    if not years:
        return None
    best = max(set(years), key=years.count)
    return best if years.count(best) >= 2 or len(years) == 1 else None


# What a report calls itself ("我镇", "本街道") says its type even where its name is lost.
_SELF_TYPES = (
    (re.compile(r"(?:我|本|全)街(?!头)|街道办事处"), BodyType.STREET),
    (re.compile(r"(?:我|本|全)(?:镇|乡)(?![村镇街])"), BodyType.TOWNSHIP),
)


def type_from_text(text: str) -> BodyType:
    for pattern, kind in _SELF_TYPES:
        if pattern.search(text):
            return kind
    return BodyType.OTHER


def unit_name(text: str) -> str:
    m = _UNIT_NAME.search(text)
    return m.group(1) if m else ""


def year_in_title(title: str) -> int | None:
    m = _YEAR_IN_TITLE.search(title.replace(" ", ""))
    return int(m.group(1)) if m else None


def year_as_of(text: str) -> int | None:
    """'截至 2024 年 12 月 31 日' says which year the figures cover."""
    m = _AS_OF.search(text)
    return int(m.group(1)) if m else None


def aggregates(preamble: str) -> bool:
    return _AGGREGATES.search(preamble) is not None


# "所列数据自2023年1月1日起至2023年12月31日止": a period stated without the word 统计期限.
_RANGE_STATED = re.compile(
    r"(?:数据|期限|期间|时限|时段)[^。\n]{0,12}?(?:19|20)\d\d\s*年\s*1\s*月\s*1\s*日\s*起?\s*[至到—\-~～]"
)


def find_period(text: str) -> tuple[str, date | None, date | None]:
    """The 统计期限 sentence as written, and its first and last day."""
    m = _PERIOD_WORD.search(text) or _RANGE_STATED.search(text)
    if m is None:
        return "", None, None
    start = max(text.rfind("。", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    end = text.find("。", m.end())
    newline = text.find("\n", m.end())
    if end == -1 or (newline != -1 and newline < end):
        end = newline - 1 if newline != -1 else len(text) - 1
    sentence = text[start : end + 1].strip()
    return sentence, *_period_dates(sentence)


def _period_dates(sentence: str) -> tuple[date | None, date | None]:
    text = unicodedata.normalize("NFKC", sentence)
    first = _DATE.search(text)
    if first is None:
        return None, None
    start = _make_date(first.group(1), first.group(2), first.group(3))
    second = _DATE.search(text, first.end())
    if second is not None:
        return start, _make_date(second.group(1), second.group(2), second.group(3))
    tail = text[first.end() :].lstrip("起至到—-~～ ")
    md = _MONTH_DAY.match(tail)
    if md is not None:
        return start, _make_date(first.group(1), md.group(1), md.group(2))
    return start, None


def _make_date(y: str | int, m: str | int, d: str | int) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_date_line(line: str) -> date | None | bool:
    """A line that is only a date: the date; False when the line is no date at all.

    None means "looks like a date but is not a real one" (2025年2月30日).
    """
    text = unicodedata.normalize("NFKC", line).replace(" ", "")
    if not text or len(text) > 16:
        return False
    m = _LINE_DATE.match(text)
    if m is not None:
        return _make_date(m.group(1), m.group(2), m.group(3))
    m = _CN_LINE_DATE.match(text)
    if m is not None:
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        return _make_date(year, _cn_number(m.group(2)), _cn_number(m.group(3)))
    return False


def _cn_number(text: str) -> int:
    # 一..九, 十, 十四, 二十, 三十一
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def looks_like_signature(line: str, body_name: str = "") -> bool:
    text = line.strip()
    if not text or len(text) > 40 or any(c in _SENTENCE_MARKS for c in text):
        return False
    if text[0] in "（(0123456789一二三四五六七八九十":
        return False
    return text == body_name or text.endswith(_SIGN_SUFFIXES) or infer_body_type(text) is not BodyType.OTHER


def looks_like_title(line: str) -> bool:
    return "报告" in line and len(line) <= 80 and "。" not in line and not line.startswith(("#", "[", "（本"))
