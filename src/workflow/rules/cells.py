"""Family A of the rule catalog: cells and format (shared/domain/RULES.md § A).

A1 every cell filled, A2 counts are whole numbers ≥ 0, A3 收费金额 in 万元, A4 labels as in the
national format, A5 the format matches the year.

Column labels: importers record row labels in `Table.labels[row_key]`; a column header as written
may be recorded under `Table.labels["@" + column_key]` (e.g. "@issued" → "本年(2023)制发件数").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Final

from workflow.domain import numbers
from workflow.domain.bodies import BodyType
from workflow.domain.formats import FORMATS, TABLE_NAMES, ColumnKind, FormatId, TableDef
from workflow.domain.model import Cell, Number, Table
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity

TABLE_IDS: Final = ("t2", "t3", "t4")

# ---------------------------------------------------------------- the grid: one pass over a table's cells


class Grid:
    """A table's numbers in its format's row and column order, read once per validation.

    `row(key)` gives a row's numbers (None for a blank, missing or non-numeric cell), or None for a
    missing row.  When every row has all its cells, `flat` holds all numbers row after row (`width`
    per row), so the arithmetic rules can check a whole table with a few C-level calls.  `clean`
    says, besides, that every number is a whole number ≥ 0: A1 and A2 have nothing to say and no
    sum meets a blank.  Validate-only must run thousands of reports a second: families A, B and C
    share this one pass instead of each walking the cells again.
    """

    __slots__ = ("flat", "width", "index", "clean", "_rows", "_mixed")

    def __init__(
        self,
        flat: list[Number | None] | None,
        width: int,
        index: dict[str, int],
        clean: bool,
        rows: dict[str, tuple[Number | None, ...]] | None = None,
        mixed: tuple[list[Number | None], dict[str, tuple[int, int]]] | None = None,
    ) -> None:
        self.flat = flat
        self.width = width
        self.index = index  # row key → position in format order
        self.clean = clean
        self._rows = rows
        self._mixed = mixed  # 表二 complete: all values, and each row's (start, end) in them

    @property
    def whole_numbers(self) -> list[int] | None:
        """All values row after row when every row has all its cells and each is a whole number ≥ 0
        (表三, 表四 clean): the arithmetic rules then add plain integers."""
        if self.clean and self.flat is not None:
            return self.flat  # type: ignore[return-value]  # clean: whole numbers only
        return None

    def row(self, key: str) -> tuple[Number | None, ...] | None:
        if self.flat is not None:
            i = self.index.get(key)
            if i is None:
                return None
            return tuple(self.flat[i * self.width : (i + 1) * self.width])
        if self._mixed is not None:
            values, spans = self._mixed
            span = spans.get(key)
            return None if span is None else tuple(values[span[0] : span[1]])
        return self._rows.get(key) if self._rows is not None else None


# Column kinds as small ints: compared in C by the compiled loop.
_COUNT: Final = 0
_SIGNED: Final = 1
_AMOUNT: Final = 2
_KIND_CODES: Final = {ColumnKind.COUNT: _COUNT, ColumnKind.SIGNED: _SIGNED, ColumnKind.AMOUNT: _AMOUNT}


@dataclass(frozen=True, slots=True)
class _Layout:
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (row key, its column keys) in format order
    index: dict[str, int]
    width: int  # columns per row when every row has the same columns (表三, 表四), else 0 (表二)
    flat_kinds: tuple[int, ...]  # every cell's column kind, row after row
    spans: dict[str, tuple[int, int]]  # 表二: each row's (start, end) in the flat values


def _layout(t: TableDef) -> _Layout:
    rows = tuple((r.key, tuple(c.key for c in r.columns)) for r in t.rows)
    uniform = len({cols for _, cols in rows}) == 1 and len(rows[0][1]) > 1
    spans: dict[str, tuple[int, int]] = {}
    start = 0
    for key, cols in rows:
        spans[key] = (start, start + len(cols))
        start += len(cols)
    return _Layout(
        rows=rows,
        index={k: i for i, (k, _) in enumerate(rows)},
        width=len(rows[0][1]) if uniform else 0,
        flat_kinds=tuple(_KIND_CODES[c.kind] for r in t.rows for c in r.columns),
        spans=spans,
    )


_LAYOUTS: Final = {(f, t.id): _layout(t) for f, spec in FORMATS.items() for t in spec.tables}


def grid(ctx: Context, table_id: str) -> Grid | None:
    """The table's grid (cached on the context); None when the table is absent."""
    key = "grid:" + table_id
    got = ctx.cache.get(key)
    if got is None:
        table = ctx.report.tables.get(table_id)
        if table is None or not table.present:
            return None
        got = ctx.cache[key] = _read(table, _LAYOUTS[(ctx.report.format, table_id)])
    return got  # type: ignore[no-any-return]


def _read(table: Table, layout: _Layout) -> Grid:
    # One loop: every value in format order, and
    # whether each is acceptable for its column kind, stopping at the first missing row or cell.
    rows = table.rows
    kinds = layout.flat_kinds
    flat: list[Number | None] = []
    clean = True
    i = 0
    for key, columns in layout.rows:
        got = rows.get(key)
        if got is None:
            return _read_incomplete(table, layout)
        for col in columns:
            cell = got.get(col)
            if cell is None:
                return _read_incomplete(table, layout)
            v = cell.value
            flat.append(v)
            if clean:
                clean = _fits(v, kinds[i])
            i += 1
    if layout.width:
        return Grid(flat, layout.width, layout.index, clean)
    return Grid(None, 0, layout.index, clean, None, (flat, layout.spans))


def _fits(v: Number | None, kind: int) -> bool:
    """Nothing for A1/A2 to say about this value: a whole number ≥ 0 (any integer for a signed column,
    any number ≥ 0 for an amount)."""
    if isinstance(v, int):
        return v >= 0 or kind == _SIGNED
    if isinstance(v, Decimal):
        return kind == _AMOUNT and v >= 0
    return False


def _read_incomplete(table: Table, layout: _Layout) -> Grid:
    """A row or cell is missing: each present row's values, and never clean (A1 has something to say)."""
    rows: dict[str, tuple[Number | None, ...]] = {}
    for key, columns in layout.rows:
        got = table.rows.get(key)
        if got is not None:
            rows[key] = tuple(c.value if (c := got.get(k)) is not None else None for k in columns)
    return Grid(None, layout.width, layout.index, False, rows)


def _whole(values: Sequence[Number | None]) -> bool:
    """Every value a whole number ≥ 0."""
    return all(isinstance(v, int) and v >= 0 for v in values)


# ---------------------------------------------------------------- label normalisation


@lru_cache(maxsize=4096)
def normalise_label(label: str) -> str:
    """Compare labels without width, spaces or punctuation: "(二) 部分公开(区分处理的, …)" = "（二）部分公开（…）"."""
    text = unicodedata.normalize("NFKC", label)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


def _canonical(spec: TableDef) -> dict[str, str]:
    labels = {row.key: normalise_label(row.label) for row in spec.rows}
    for row in spec.rows:
        for col in row.columns:
            labels.setdefault("@" + col.key, normalise_label(col.label))
    return labels


# (format, table) → key → normalised canonical label; group prefixes a writer may put before a row label.
_CANON: Final = {(f, t.id): _canonical(t) for f, spec in FORMATS.items() for t in spec.tables}
_GROUP_PREFIXES: Final = tuple(
    sorted(
        {
            normalise_label(r.group)
            for spec in FORMATS.values()
            for t in spec.tables
            for r in t.rows
            if r.group
        }
        | {normalise_label("三、本年度办理结果"), normalise_label("申请人情况")},
        key=len,
        reverse=True,
    )
)

# Known aliases (normalised): accepted, with a warning.
_ALIASES: Final[dict[tuple[FormatId, str, str], re.Pattern[str]]] = {
    (FormatId.F2021, "t2", "normative"): re.compile(r"规范性文件"),
    (FormatId.F2019, "t2", "normative"): re.compile(r"行政规范性文件"),
    (FormatId.F2021, "t2", "@issued"): re.compile(r"本年\d{4}年?制发件数|本年度制发件数|本年制发数量?"),
    (FormatId.F2021, "t2", "@repealed"): re.compile(r"本年\d{4}年?废止件数|本年度废止件数|本年废止数量?"),
    (FormatId.F2021, "t2", "@in_force"): re.compile(r"现行有效件?数量?|截至\d{4}年底现行有效件数"),
    (FormatId.F2021, "t3", "total"): re.compile(r"七?总计|合计"),
    (FormatId.F2019, "t3", "total"): re.compile(r"七?总计|合计"),
}


def _strip_groups(text: str) -> str:
    """Drop group labels written in front of a row label ("（三）不予公开 1.属于国家秘密")."""
    changed = True
    while changed:
        changed = False
        for prefix in _GROUP_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :]
                changed = True
    return text


# ---------------------------------------------------------------- A1


_SECTION_OF: Final = {"t2": 2, "t3": 3, "t4": 4}


def _loc(table_id: str, row: str | None = None, column: str | None = None) -> Locator:
    return Locator(_SECTION_OF[table_id], table_id, row, column)


def check_filled(ctx: Context, out: Emitter) -> None:
    report = ctx.report
    for tid in TABLE_IDS:
        g = grid(ctx, tid)
        if g is not None and g.clean:
            continue
        spec = report.spec.table(tid)
        table = report.tables.get(tid)
        name = TABLE_NAMES[tid]
        if table is None or not table.present:
            out.add(_loc(tid), f"缺少{name}：请按国家格式填报{name}", expected="表格", actual="缺失")
            continue
        rows = table.rows
        replaced = _replaced_rows(report.format, table)
        blank_columns = _blank_columns(spec, rows)
        for col_key, (label, count) in blank_columns.items():
            out.add(
                _loc(tid, None, col_key),
                f"{name}“{label}”一列全部未填写（{count}格）：没有数据请填 0",
                expected="数字",
                actual=f"空白{count}格",
            )
        for row in spec.rows:
            cells = rows.get(row.key)
            if cells is None:
                if row.key in replaced:
                    continue  # the 2019 format's single row stands here: A5 names the old template
                out.add(
                    _loc(tid, row.key),
                    f"{name}缺少“{row.label}”一行的数据：请填写该行，没有数据的格填 0",
                    expected="整行数据",
                    actual="缺失",
                )
                continue
            if g is not None and None not in (g.row(row.key) or (None,)):
                continue  # every cell of the row holds a number: nothing to say, decided per row
            blanks = [
                (col, cell)
                for col in row.columns
                if col.key not in blank_columns
                and ((cell := cells.get(col.key)) is None or cell.value is None and cell.is_blank)
            ]
            if len(blanks) > 1 and len(blanks) == len(row.columns):
                out.add(
                    _loc(tid, row.key),
                    f"{name}“{row.label}”一行全部未填写（{len(blanks)}格）：没有数据请填 0",
                    expected="数字",
                    actual=f"空白{len(blanks)}格",
                )
                continue
            for col, cell in blanks:
                out.add(
                    _loc(tid, row.key, col.key),
                    f"{name}“{row.label}”行“{col.label}”列未填写：没有数据请填 0",
                    expected="数字",
                    actual="缺失" if cell is None else (cell.raw.strip() or "空白"),
                )


# 2019 试行 rows that stand for several 2021 rows: 表三's single （六）其他处理 for o1–o3.
REPLACED_BY_2019: Final = {("t3", "o"): ("o1", "o2", "o3")}


def _replaced_rows(fmt: FormatId, table: Table) -> frozenset[str]:
    """The 2021 rows a 2019 row found in the table stands for (a 2019 piece in a 2021 report)."""
    if fmt is not FormatId.F2021:
        return frozenset()
    out: set[str] = set()
    for (_, key), keys in REPLACED_BY_2019.items():
        if key in table.rows:
            out.update(keys)
    return frozenset(out)


_MIN_BLANK_COLUMN: Final = 3


def _blank_columns(spec: TableDef, rows: dict[str, dict[str, Cell]]) -> dict[str, tuple[str, int]]:
    """Columns left blank in every row that has them (at least three rows): column key → (label, cells)."""
    seen: dict[str, list[bool]] = {}
    labels: dict[str, str] = {}
    for row in spec.rows:
        cells = rows.get(row.key)
        if cells is None:
            continue
        for col in row.columns:
            cell = cells.get(col.key)
            labels.setdefault(col.key, col.label)
            seen.setdefault(col.key, []).append(cell is None or cell.value is None and cell.is_blank)
    return {
        key: (labels[key], len(flags))
        for key, flags in seen.items()
        if len(flags) >= _MIN_BLANK_COLUMN and all(flags)
    }


# ---------------------------------------------------------------- A2


def _count_problem(cell: Cell, kind: ColumnKind) -> str | None:
    """Why a filled cell is not an acceptable number for its column, or None: the one number reader's
    verdict (domain/numbers.py), so a stored value from any source is judged, never trusted."""
    return numbers.cell_problem(cell.raw, kind)


# (format, table) → the rows whose columns are all counts (a row of whole numbers ≥ 0 is fine there).
_COUNT_ROWS: Final = {
    (f, t.id): frozenset(r.key for r in t.rows if all(c.kind is ColumnKind.COUNT for c in r.columns))
    for f, spec in FORMATS.items()
    for t in spec.tables
}


def check_counts(ctx: Context, out: Emitter) -> None:
    report = ctx.report
    for tid in TABLE_IDS:
        g = grid(ctx, tid)
        table = report.tables.get(tid)
        if g is None or g.clean or table is None:
            continue  # A1 reports an absent table
        name = TABLE_NAMES[tid]
        rows = table.rows
        count_rows = _COUNT_ROWS[(report.format, tid)]
        for row in report.spec.table(tid).rows:
            cells = rows.get(row.key)
            if cells is None:
                continue
            if row.key in count_rows and _whole(g.row(row.key) or (None,)):
                continue  # a row of whole numbers ≥ 0 in count columns: nothing to say, decided per row
            for col in row.columns:
                cell = cells.get(col.key)
                if cell is None or (cell.value is None and cell.is_blank):
                    continue  # blank: A1
                v = cell.value
                if type(v) is int and (v >= 0 or col.kind is ColumnKind.SIGNED):
                    continue  # the common case, decided without a call
                problem = _count_problem(cell, col.kind)
                if problem:
                    out.add(
                        _loc(tid, row.key, col.key),
                        f"{name}“{row.label}”行“{col.label}”列的“{_shown(cell.raw)}”{problem}",
                        expected="非负数" if col.kind is ColumnKind.AMOUNT else "非负整数",
                        actual=cell.raw,
                    )


def _shown(raw: str) -> str:
    """A cell's text for a message: stripped and cut short (a cell may hold a 5,000-digit run)."""
    text = raw.strip()
    return text if len(text) <= 24 else text[:20] + "…"


# ---------------------------------------------------------------- A3

_YUAN: Final = re.compile(r"(?<!万)元")
# 收费金额 above which 万元 is implausible (so it was probably written in 元).
_SMALL_BODY_LIMIT: Final = Decimal(100_000)
_LIMIT: Final = Decimal(10_000_000)


_FEES_AT: Final = _loc("t2", "fees", "amount")  # immutable: made once


def check_fee_unit(ctx: Context, out: Emitter) -> None:
    report = ctx.report
    table = report.tables.get("t2")
    if report.format is not FormatId.F2021:
        return  # the 2019 format has no 收费金额
    if table is None or not table.present:
        out.skip("表二缺失，无法核对收费金额单位")
        return
    where = _FEES_AT
    unit = table.labels.get("@amount", "") + table.labels.get("fees", "")
    if _YUAN.search(unit):
        out.add(
            where, "收费金额的单位写成了“元”：表二收费金额应以“万元”为单位填报", expected="万元", actual=unit
        )
        return
    cell = table.cell("fees", "amount")
    value = None if cell is None else cell.value
    if value is None:
        out.skip("收费金额未填写或不是数字，无法核对单位")
        return
    if cell is not None and value != 0 and numbers.read_number(cell.raw).unit == "元":
        # "250000元" in the cell: a number whose unit is wrong, not a number that is not one.
        wan = (Decimal(value) / 10_000).normalize()
        out.add(
            where,
            f"收费金额写的是“{_shown(cell.raw)}”：表二收费金额应以“万元”为单位填报，"
            f"{value} 元即 {wan:f} 万元，请填 {wan:f}",
            expected="万元",
            actual=cell.raw.strip(),
        )
        return
    small = ctx.report.header.body_type in (BodyType.TOWNSHIP, BodyType.STREET)
    limit = _SMALL_BODY_LIMIT if small else _LIMIT
    if value > limit:
        out.add(
            where,
            f"收费金额 {value} 万元明显偏大，可能按“元”填报：请换算为万元（元 ÷ 10000）",
            expected=limit,
            actual=value,
        )


# ---------------------------------------------------------------- A4


def check_labels(ctx: Context, out: Emitter) -> None:
    report = ctx.report
    for tid in TABLE_IDS:
        table = report.tables.get(tid)
        if table is None or not table.present:
            continue
        name = TABLE_NAMES[tid]
        if table.labels:
            _check_table_labels(report.format, tid, name, table.labels, out)
        for label in table.extra_rows:
            out.add(
                _loc(tid, "+" + normalise_label(label)[:40]),
                f"{name}中有国家格式没有的行“{label}”：请删除或并入格式中的对应行",
                expected=None,
                actual=label,
            )


def _check_table_labels(fmt: FormatId, tid: str, name: str, labels: dict[str, str], out: Emitter) -> None:
    for key, written in labels.items():
        message = _label_verdict(fmt, tid, name, key, written)
        if message is not None:
            row, column = (None, key[1:]) if key.startswith("@") else (key, None)
            out.add(_loc(tid, row, column), message, expected=_label_of(fmt, tid, key), actual=written)


@lru_cache(maxsize=8192)
def _label_verdict(fmt: FormatId, tid: str, name: str, key: str, written: str) -> str | None:
    """None when the label is the format's; else the message.  Cached: the same labels recur in every report."""
    expected = _CANON[(fmt, tid)].get(key)
    if expected is None:
        return None  # a key of another format: A5's business
    got = normalise_label(written)
    if got == expected or _strip_groups(got) == expected:
        return None
    if fmt is FormatId.F2021 and key.startswith("@") and got in _COLUMNS_2019_ONLY:
        return None  # a 2019 试行 header in a 2021 table: A5 names the old template
    alias = _ALIASES.get((fmt, tid, key))
    what = "列名" if key.startswith("@") else "行名"
    label = _label_of(fmt, tid, key)
    if alias is not None and alias.fullmatch(_strip_groups(got)):
        return f"{name}{what}“{written}”是旧的或地方写法，国家格式为“{label}”：请改用格式原文"
    core = _strip_groups(got)
    if not written.strip():
        return f"{name}{what}空白，按位置是“{label}”：请填上行名"
    if len(core) < len(expected) and _misspelt(core, expected):
        return f"{name}{what}“{written}”有错字或漏字，国家格式为“{label}”：请照格式原文改正"
    return f"{name}{what}“{written}”与国家格式“{label}”不一致：请照格式原文填写"


def _misspelt(got: str, expected: str) -> bool:
    """Characters dropped or mistyped, the rest in order (not a label with words added)."""
    return SequenceMatcher(None, got, expected, autojunk=False).ratio() >= 0.6


@lru_cache(maxsize=256)
def _label_of(fmt: FormatId, tid: str, key: str) -> str:
    spec = FORMATS[fmt].table(tid)
    if not key.startswith("@"):
        return spec.row(key).label
    for row in spec.rows:
        for col in row.columns:
            if col.key == key[1:]:
                return col.label
    return key


# ---------------------------------------------------------------- A5


def check_format_year(ctx: Context, out: Emitter) -> None:
    year = ctx.year
    fmt = ctx.report.format
    if year is None:
        out.skip("报告年度不明，无法核对所用格式")
        return
    markers = "、".join(ctx.report.format_markers) or "2019年试行版表格"
    if year >= 2021 and fmt is FormatId.F2021:
        pieces = _pieces_2019(ctx)
        if pieces:
            # Mostly the 2021 format, with pieces of the old one: the old template all the same, named
            # by what was found (not "add the missing rows": the rows are there, in the old layout).
            found = "、".join(f"“{p}”" for p in pieces)
            out.add(
                Locator(),
                f"{year}年度报告中有2019年试行版格式的内容（{found}）："
                "请按国办公开办函〔2021〕30号规定的新格式改正表头和行",
                expected="2021年版格式",
                actual="、".join(pieces),
            )
        return
    if year >= 2021 and fmt is FormatId.F2019:
        out.add(
            Locator(),
            f"{year}年度报告使用了2019年试行版格式（{markers}）："
            "2021年及以后的年度报告须使用国办公开办函〔2021〕30号规定的新格式",
            expected="2021年版格式",
            actual=markers,
        )
    elif year <= 2020 and fmt is FormatId.F2021:
        out.add(
            Locator(),
            f"{year}年度报告使用了2021年版格式：2020年及以前的年度报告应使用2019年试行版格式",
            expected="2019年试行版格式",
            actual="2021年版格式",
            severity=Severity.WARNING,
        )


def _pieces_2019(ctx: Context) -> list[str]:
    """Labels of the 2019 试行 format found in a report read as the 2021 format: its rows (表二's
    其他对外管理服务事项 and 政府集中采购, 表三's single （六）其他处理) and its column headers as written.
    Read from the tables themselves, so a report corrected on the form no longer shows them."""
    found: list[str] = []
    for tid, old_rows in _ROWS_2019_ONLY.items():
        table = ctx.report.tables.get(tid)
        if table is None or not table.present:
            continue
        for key in old_rows:
            if key in table.rows:
                found.append(table.labels.get(key) or _label_of(FormatId.F2019, tid, key))
        for key, written in table.labels.items():
            if key.startswith("@") and normalise_label(written) in _COLUMNS_2019_ONLY:
                found.append(written)
    return list(dict.fromkeys(found))


def _only_2019() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    rows: dict[str, tuple[str, ...]] = {}
    columns: set[str] = set()
    new, old = FORMATS[FormatId.F2021], FORMATS[FormatId.F2019]
    for t in old.tables:
        keys21 = set(new.table(t.id).row_keys)
        labels21 = {normalise_label(c.label) for r in new.table(t.id).rows for c in r.columns}
        rows[t.id] = tuple(k for k in t.row_keys if k not in keys21)
        columns |= {normalise_label(c.label) for r in t.rows for c in r.columns} - labels21
    # "处理决定数量" is also the 2021 "本年处理决定数量" shortened: an alias (A4), not the old template.
    return rows, frozenset(columns - {normalise_label("处理决定数量")})


_ROWS_2019_ONLY, _COLUMNS_2019_ONLY = _only_2019()


RULES: Final[list[Rule]] = [
    Rule("A1", Severity.ERROR, "A", "表格有空白或缺失的单元格、行：没有数据请填 0", check_filled),
    Rule("A2", Severity.ERROR, "A", "表格中的数量应为不小于 0 的整数", check_counts),
    Rule("A3", Severity.WARNING, "A", "收费金额应以“万元”为单位填报", check_fee_unit),
    Rule("A4", Severity.WARNING, "A", "表格行名、列名应与国家格式一致", check_labels),
    Rule("A5", Severity.ERROR, "A", "年度报告所用格式与报告年度不符", check_format_year),
]
