"""Label normalisation and the lookup of table rows, header tokens and format markers.

Labels drift in the wild (width, spaces, punctuation, "本年(2023)制发件数", explanatory text), so
everything is compared on a normalised form.  Lookups are cached: the same few hundred labels
come back in every report, and the benchmark imports thousands of them.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

from workflow.domain.formats import SECTION_TITLES, T2_2019, T2_2021, T3_2019, T3_2021, T4, TableDef

# Punctuation, brackets, quotes and spaces carry no meaning in a label once NFKC made them half width.
_NOISE = re.compile(r"[\s()\[\]【】.,、:;“”\"'‘’「」《》<>〈〉·•\-—_/|*~～。]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+|\d+)")


@lru_cache(maxsize=16384)
def norm(label: str) -> str:
    """The comparable form of a label: half width, no spaces/punctuation, no year."""
    text = _NOISE.sub("", unicodedata.normalize("NFKC", label))
    return _YEAR.sub("", text) if any(c.isdigit() for c in text) else text


def strip_numbering(normalised: str) -> str:
    return _NUMBERING.sub("", normalised, count=1)


# ---------------------------------------------------------------- row labels
RowRef = tuple[str, str]  # (table id, row key)

_ROW_TABLES: tuple[TableDef, ...] = (T2_2021, T2_2019, T3_2021, T3_2019, T4)
_FULL: dict[str, set[RowRef]] = {}
_STRIPPED: dict[str, set[RowRef]] = {}
for _t in _ROW_TABLES:
    for _r in _t.rows:
        _n = norm(_r.label)
        _FULL.setdefault(_n, set()).add((_t.id, _r.key))
        _STRIPPED.setdefault(strip_numbering(_n), set()).add((_t.id, _r.key))
_BY_LENGTH = sorted(_STRIPPED, key=len, reverse=True)
_T3_KEYS = frozenset(r.key for r in T3_2021.rows) | frozenset(r.key for r in T3_2019.rows)

# 表三 item groups: the prefix of their row keys.
_GROUP_PREFIX = {"不予公开": "d", "无法提供": "u", "不予处理": "n", "其他处理": "o"}


@lru_cache(maxsize=4096)
def group_prefix(label: str) -> str | None:
    """'d' for a （三）不予公开 cell, …; '' for 三、本年度办理结果; None when not a group cell."""
    s = strip_numbering(norm(label))
    if s in _GROUP_PREFIX:
        return _GROUP_PREFIX[s]
    if s == "本年度办理结果":
        return ""
    return None


@lru_cache(maxsize=16384)
def match_row(label: str, group: str = "") -> RowRef | None:
    """The table row a label names, or None.  `group` disambiguates 表三's numbered items."""
    n = norm(label)
    s = strip_numbering(n)
    if not s:
        key = f"{group}{n}"
        return ("t3", key) if group and n.isdigit() and key in _T3_KEYS else None
    cands = _FULL.get(n) or _STRIPPED.get(s) or _explained(label) or _prefix_candidates(s)
    if not cands:
        return None
    if len(cands) > 1 and group:
        cands = {c for c in cands if c[1].startswith(group)} or cands
    # Both formats share most keys (t2 normative in either): one key is one row.
    return min(cands) if len({key for _, key in cands}) == 1 else None


_EXPLANATION = re.compile(r"\s*[（(][^（()）]{4,}[)）]\s*$")


def _explained(label: str) -> set[RowRef]:
    """ "规章（设区的市、自治州人民政府应提供相关数据）": a label with a provincial explanation after it."""
    bare = _EXPLANATION.sub("", label)
    if bare == label or not bare:
        return set()
    n = norm(bare)
    return _FULL.get(n) or _STRIPPED.get(strip_numbering(n)) or set()


_CAPTIONS = frozenset(strip_numbering(norm(t)) for t in SECTION_TITLES.values())


def is_section_caption(label: str) -> bool:
    """ "主动公开政府信息情况" inside a table: the table's caption (its section's title), not a row."""
    return strip_numbering(norm(label)) in _CAPTIONS


def is_exact_row_label(label: str) -> bool:
    return strip_numbering(norm(label)) in _STRIPPED


def _prefix_candidates(s: str) -> set[RowRef]:
    # Explanatory text after the label ("行政规范性文件（含…）"), or a label cut short.
    for c in _BY_LENGTH:
        if len(c) >= 4 and s.startswith(c):  # short ones (其他, 总计) would swallow sentences
            return _STRIPPED[c]
    if len(s) >= 4:
        hits = [c for c in _BY_LENGTH if c.startswith(s)]
        if len(hits) == 1:
            return _STRIPPED[hits[0]]
    return set()


# ---------------------------------------------------------------- near misses
_ROW_TEXTS: dict[str, list[tuple[str, str]]] = {}  # table id -> (stripped label, row key), both formats
for _t in _ROW_TABLES:
    for _r in _t.rows:
        _pair = (strip_numbering(norm(_r.label)), _r.key)
        if _pair not in _ROW_TEXTS.setdefault(_t.id, []):
            _ROW_TEXTS[_t.id].append(_pair)
_LEADING_NUMBER = re.compile(r"^(\d+)")
NEAR: float = 0.75  # how alike a misprinted label must be to the format's (difflib ratio)


def likeness(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@lru_cache(maxsize=4096)
def near_row(label: str, table: str, group: str = "") -> RowRef | None:
    """The row a misprinted label most likely is ("属于三类内部信息" for "属于三类内部事务信息"): by its
    position (表三's group and item number) when it has one, else by likeness to one row alone."""
    n = norm(label)
    s = strip_numbering(n)
    if len(s) < 3 or table not in _ROW_TEXTS:
        return None
    number = _LEADING_NUMBER.match(n)
    if table == "t3" and group and number:
        key = f"{group}{number.group(1)}"
        for text, k in _ROW_TEXTS["t3"]:
            if k == key and likeness(s, text) >= 0.5:
                return ("t3", key)
        return None
    scored = sorted(((likeness(s, text), key) for text, key in _ROW_TEXTS[table]), reverse=True)
    best, key = scored[0]
    runner_up = next((score for score, k in scored[1:] if k != key), 0.0)
    if best >= NEAR and best - runner_up >= 0.1:
        return (table, key)
    return None


# ---------------------------------------------------------------- header tokens and format markers
_T2_TOKENS = ["信息内容"] + [c.label for t in (T2_2021, T2_2019) for r in t.rows for c in r.columns]
_T2_TOKENS += [r.group for t in (T2_2021, T2_2019) for r in t.rows]
_T3_TOKENS = ["申请人情况", "法人或其他组织"] + [c.label for c in T3_2021.rows[0].columns]
_T3_TOKENS += [r.group for r in T3_2021.rows if r.group]
_T4_TOKENS = ["行政复议", "行政诉讼"] + [c.label for c in T4.rows[0].columns] + [r.label for r in T4.rows]

_TOKENS: dict[str, str | None] = {}
for _tid, _labels in (("t2", _T2_TOKENS), ("t3", _T3_TOKENS), ("t4", _T4_TOKENS)):
    for _lab in _labels:
        _k = strip_numbering(norm(_lab))
        _TOKENS[_k] = _tid if _TOKENS.get(_k, _tid) == _tid else None  # shared tokens name no table
_TOKENS_BY_LENGTH = sorted((k for k in _TOKENS if len(k) >= 4), key=len, reverse=True)

MARKERS_2019 = frozenset(
    strip_numbering(norm(x))
    for x in (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增/减",
        "处理决定数量",
        "采购项目数量",
        "采购总金额",
        "第二十条第（九）项",
        "其他对外管理服务事项",
        "政府集中采购",
    )
)
MARKERS_2021 = frozenset(
    strip_numbering(norm(x))
    for x in (
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "本年处理决定数量",
        "本年收费金额（单位：万元）",
    )
)

_UNKNOWN = "?"


@lru_cache(maxsize=16384)
def token_table(label: str) -> str | None:
    """'t2'/'t3'/'t4' when the text is a header or group label of that table; '' when it is one
    shared by several tables (总计, 其他); None when it is no header token at all."""
    s = strip_numbering(norm(label))
    if "勾稽关系" in s:
        return "t3"
    hit = _TOKENS.get(s, _UNKNOWN)
    if hit == _UNKNOWN:
        hit = next((_TOKENS[k] for k in _TOKENS_BY_LENGTH if s.startswith(k)), _UNKNOWN)
    if hit == _UNKNOWN:
        return None
    return hit or ""


@lru_cache(maxsize=16384)
def marker_format(label: str) -> str | None:
    """'2019' or '2021' when the label exists in only that format."""
    s = strip_numbering(norm(label))
    if s in MARKERS_2019:
        return "2019"
    if s in MARKERS_2021 or s.startswith("本年收费金额"):
        return "2021"
    return None
