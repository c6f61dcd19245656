"""Numbers in table cells: read here and only here, within limits.

Every way a number enters (the web form, the JSON API, every importer, a draft read back from the
database) goes through `read_number`, so a value the rules, the form and the publication cannot
handle is never a number: it is a cell with a problem, named in plain Chinese.

Accepted: ASCII or full-width digits (０-９), thousands separators in groups of three ("1,234",
"1，234"), surrounding or inner spaces, a leading sign, a decimal point, and one unit suffix from
`COUNT_UNITS` / `MONEY_UNITS` ("12件", "250000元", "3.5万元").  Refused: exponents ("1E+5"),
other digits ("①", "²", "٣"), fractions, NaN / Infinity, more than `MAX_INT_DIGITS` digits before the
point or `AMOUNT_DECIMALS` after it, anything longer than `MAX_CELL_CHARS`.

Limits by column kind (`problem`): counts are whole numbers 0 – 1,000,000,000; a signed count
(2019 本年增/减) lies within ±1,000,000,000; an amount (收费金额, 采购总金额) is ≥ 0, at most
`AMOUNT_MAX` and has at most six decimals (FORMAT.md: 万元 with up to six decimals is seen in real
reports, e.g. 平潭 2021's 24252.311082 — one 分 is 0.000001 万元).  Whatever passes `read_number` is
at most 10¹³ in magnitude with at most six decimals, so no arithmetic on it can overflow a Decimal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from workflow.domain.formats import ColumnKind

Number = int | Decimal

BLANK_MARKERS: Final = frozenset({"", "/", "-", "—", "－", "--", "——", "无", "／", "空"})

COUNT_MAX: Final = 1_000_000_000
AMOUNT_MAX: Final = Decimal(10_000_000_000)  # in the unit written: 100 亿 (元 or 万元)
AMOUNT_DECIMALS: Final = 6
MAX_INT_DIGITS: Final = 13  # before the decimal point; more is refused before any conversion
MAX_CELL_CHARS: Final = 100  # longer text in a number cell is refused outright

# Units a number may carry, longest first ("人次" before "次", "万元" before "元").
MONEY_UNITS: Final = ("万元", "元")
COUNT_UNITS: Final = ("人次", "件", "条", "个", "项", "次", "人", "家", "起", "宗", "份", "篇", "场", "期")
# (as written, the unit): "12件", "250000元", "250000（元）", "3.5(万元)"; the longest match wins.
_UNITS: Final = tuple(
    sorted(
        ((w, u) for u in MONEY_UNITS + COUNT_UNITS for w in (u, f"({u})", f"（{u}）")),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
)

_WIDTH: Final = str.maketrans("０１２３４５６７８９．，－＋−", "0123456789.,-+-")
_SPACES: Final = re.compile(r"[\s\u3000]+")
_SHAPE: Final = re.compile(r"([+-]?)((?:[0-9]{1,3}(?:,[0-9]{3})+)|[0-9]+)(?:\.([0-9]+))?", re.ASCII)
_EXPONENT: Final = re.compile(r"[0-9.][eE][+-]?[0-9]", re.ASCII)
_COUNT_RANGE: Final = f"0 到 {COUNT_MAX:,} 之间的整数"


@dataclass(frozen=True, slots=True)
class Reading:
    """What a cell's text says: a number (with the unit written after it, if any), a blank, or a
    problem — why the text is not a number, in Chinese."""

    value: Number | None
    unit: str = ""
    problem: str = ""
    blank: bool = False


BLANK: Final = Reading(None, blank=True)


def read_number(raw: str) -> Reading:
    """Read a cell's text; never raises, whatever the text."""
    if len(raw) > MAX_CELL_CHARS:
        return Reading(None, problem=f"内容超过 {MAX_CELL_CHARS} 个字符")
    text = raw.strip()
    if text in BLANK_MARKERS:
        return BLANK
    if text.isascii() and text.isdigit() and len(text) <= 10:
        return Reading(int(text))  # the common case: "0", "12"
    text = _SPACES.sub("", text.translate(_WIDTH))
    if text in BLANK_MARKERS:
        return BLANK
    unit = ""
    for written, u in _UNITS:
        if text.endswith(written) and len(text) > len(written):
            unit, text = u, text[: -len(written)]
            break
    m = _SHAPE.fullmatch(text)
    if m is None:
        return Reading(None, unit, _why_not(text))
    sign, whole, fraction = m.group(1), m.group(2).replace(",", ""), m.group(3)
    if len(whole.lstrip("0")) > MAX_INT_DIGITS:
        return Reading(None, unit, "数值过大")
    if fraction is not None and len(fraction) > AMOUNT_DECIMALS:
        return Reading(None, unit, f"小数超过 {AMOUNT_DECIMALS} 位")
    if fraction is None:
        value: Number = int(whole)
        if sign == "-":
            value = -value
    else:
        value = Decimal(f"{sign}{whole}.{fraction}")
    return Reading(value, unit)


def _why_not(text: str) -> str:
    if _EXPONENT.search(text):
        return "不能使用科学计数法"
    if any(unicodedata.numeric(ch, None) is not None and not ("0" <= ch <= "9") for ch in text):
        return "请使用阿拉伯数字 0–9"
    if "," in text and re.fullmatch(r"[+-]?[0-9,]+(?:\.[0-9]+)?", text):
        return "千位分隔符位置不对"
    return "不是数字"


def parse_number(raw: str) -> Number | None:
    """The number in a cell's text; None when blank or not a number (the reason: `read_number`).
    Called for every cell of every draft read: the common "0" / "12" is decided without a Reading."""
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= 10 and len(raw) <= MAX_CELL_CHARS:
        return int(text)
    if text in BLANK_MARKERS:
        return None
    return read_number(raw).value


def problem(reading: Reading, kind: ColumnKind) -> str | None:
    """Why a cell is not acceptable for its column kind, in Chinese: the reason and what to write.
    None when it is (a blank is A1's business, not a problem here)."""
    if reading.blank:
        return None
    v, unit = reading.value, reading.unit
    if kind is ColumnKind.AMOUNT:
        what = f"请填写不小于 0 的金额（单位：万元，最多 {AMOUNT_DECIMALS} 位小数）"
        if v is None:
            why = reading.problem
            return f"{why}：{what}" if why == "不是数字" else f"不是数字（{why}）：{what}"
        if unit and unit not in MONEY_UNITS:
            return f"“{unit}”不是金额单位：{what}"
        if v < 0:
            return f"金额不能为负数：{what}"
        if v > AMOUNT_MAX:
            return f"数值过大：{what}"
        return None
    range_ = _COUNT_RANGE if kind is ColumnKind.COUNT else f"-{COUNT_MAX:,} 到 {COUNT_MAX:,} 之间的整数"
    what = f"请填写 {range_}"
    if v is None:
        why = reading.problem
        return f"{why}：{what}" if why == "不是数字" else f"不是数字（{why}）：{what}"
    if unit in MONEY_UNITS:
        return f"“{unit}”不是件数的单位：{what}"
    if not isinstance(v, int) and v != v.to_integral_value():
        return f"应为整数：{what}"
    if v < 0 and kind is ColumnKind.COUNT:
        return f"不能为负数：{what}"
    if v > COUNT_MAX or v < -COUNT_MAX:
        return f"超过 {COUNT_MAX:,}，不是有效的件数：{what}"
    return None


def cell_problem(raw: str, kind: ColumnKind) -> str | None:
    """`problem` of a cell's text."""
    return problem(read_number(raw), kind)


def as_count(text: str, cap: int = 10**15) -> int:
    """A run of digits found in running text ("予以公开123件") as an int, capped: text may hold a
    5,000-digit run, which `int` refuses (and no count is that large anyway)."""
    digits = text.strip()
    if len(digits) > 15:
        return cap
    try:
        return min(int(digits), cap)
    except ValueError:
        return cap
