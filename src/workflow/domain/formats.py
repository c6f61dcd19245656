"""The national report formats (2021 and 2019 试行) as data.

Every table is a list of rows; every row has a stable key, its exact national label and the
columns it carries.  Keys are what the database, the API and the rules speak; labels are what
people read.  See shared/domain/FORMAT.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class FormatId(StrEnum):
    F2021 = "2021"
    F2019 = "2019"


class ColumnKind(StrEnum):
    COUNT = "count"  # non-negative integer
    SIGNED = "signed"  # integer that may be negative (2019 本年增/减)
    AMOUNT = "amount"  # non-negative decimal (万元)


@dataclass(frozen=True, slots=True)
class ColumnDef:
    key: str
    label: str
    kind: ColumnKind = ColumnKind.COUNT


@dataclass(frozen=True, slots=True)
class RowDef:
    key: str
    label: str
    columns: tuple[ColumnDef, ...]
    group: str = ""  # e.g. 第二十条第（一）项 or （三）不予公开


@dataclass(frozen=True, slots=True)
class TableDef:
    id: str  # t2 / t3 / t4
    name: str  # 表二 …
    section: int  # the section that holds it
    rows: tuple[RowDef, ...]

    def row(self, key: str) -> RowDef:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    @property
    def row_keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.rows)


SECTION_TITLES: Final[dict[int, str]] = {
    1: "一、总体情况",
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}
SECTION_NUMERALS: Final = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六"}

# ---------------------------------------------------------------- 表二
_ITEM1: Final = "第二十条第（一）项"
_ITEM5: Final = "第二十条第（五）项"
_ITEM6: Final = "第二十条第（六）项"
_ITEM8: Final = "第二十条第（八）项"
_ITEM9: Final = "第二十条第（九）项"

_T2_2021_DOCS: Final = (
    ColumnDef("issued", "本年制发件数"),
    ColumnDef("repealed", "本年废止件数"),
    ColumnDef("in_force", "现行有效件数"),
)
_T2_2021_DECISIONS: Final = (ColumnDef("decisions", "本年处理决定数量"),)
_T2_2021_FEES: Final = (ColumnDef("amount", "本年收费金额（单位：万元）", ColumnKind.AMOUNT),)

T2_2021: Final = TableDef(
    "t2",
    "表二",
    2,
    (
        RowDef("regulations", "规章", _T2_2021_DOCS, _ITEM1),
        RowDef("normative", "行政规范性文件", _T2_2021_DOCS, _ITEM1),
        RowDef("licensing", "行政许可", _T2_2021_DECISIONS, _ITEM5),
        RowDef("penalty", "行政处罚", _T2_2021_DECISIONS, _ITEM6),
        RowDef("enforcement", "行政强制", _T2_2021_DECISIONS, _ITEM6),
        RowDef("fees", "行政事业性收费", _T2_2021_FEES, _ITEM8),
    ),
)

_T2_2019_DOCS: Final = (
    ColumnDef("made", "本年新制作数量"),
    ColumnDef("published", "本年新公开数量"),
    ColumnDef("total_public", "对外公开总数量"),
)
_T2_2019_ITEMS: Final = (
    ColumnDef("prev_count", "上一年项目数量"),
    ColumnDef("change", "本年增/减", ColumnKind.SIGNED),
    ColumnDef("decisions", "处理决定数量"),
)
_T2_2019_FEES: Final = (
    ColumnDef("prev_count", "上一年项目数量"),
    ColumnDef("change", "本年增/减", ColumnKind.SIGNED),
)
_T2_2019_PROCUREMENT: Final = (
    ColumnDef("count", "采购项目数量"),
    ColumnDef("amount", "采购总金额", ColumnKind.AMOUNT),
)

T2_2019: Final = TableDef(
    "t2",
    "表二",
    2,
    (
        RowDef("regulations", "规章", _T2_2019_DOCS, _ITEM1),
        RowDef("normative", "规范性文件", _T2_2019_DOCS, _ITEM1),
        RowDef("licensing", "行政许可", _T2_2019_ITEMS, _ITEM5),
        RowDef("other_services", "其他对外管理服务事项", _T2_2019_ITEMS, _ITEM5),
        RowDef("penalty", "行政处罚", _T2_2019_ITEMS, _ITEM6),
        RowDef("enforcement", "行政强制", _T2_2019_ITEMS, _ITEM6),
        RowDef("fees", "行政事业性收费", _T2_2019_FEES, _ITEM8),
        RowDef("procurement", "政府集中采购", _T2_2019_PROCUREMENT, _ITEM9),
    ),
)

# ---------------------------------------------------------------- 表三
T3_COLUMNS: Final = (
    ColumnDef("natural", "自然人"),
    ColumnDef("commercial", "商业企业"),
    ColumnDef("research", "科研机构"),
    ColumnDef("welfare", "社会公益组织"),
    ColumnDef("legal", "法律服务机构"),
    ColumnDef("other", "其他"),
    ColumnDef("total", "总计"),
)
T3_COLUMN_KEYS: Final = tuple(c.key for c in T3_COLUMNS)
T3_LEGAL_PERSON_COLUMNS: Final = ("commercial", "research", "welfare", "legal", "other")  # L5

_RESULTS: Final = "三、本年度办理结果"
_D: Final = "（三）不予公开"
_U: Final = "（四）无法提供"
_N: Final = "（五）不予处理"
_O: Final = "（六）其他处理"


def _t3(key: str, label: str, group: str = "") -> RowDef:
    return RowDef(key, label, T3_COLUMNS, group)


_T3_HEAD: Final = (
    _t3("new", "一、本年新收政府信息公开申请数量"),
    _t3("carried", "二、上年结转政府信息公开申请数量"),
    _t3("granted", "（一）予以公开", _RESULTS),
    _t3("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", _RESULTS),
    _t3("d1", "1.属于国家秘密", _D),
    _t3("d2", "2.其他法律行政法规禁止公开", _D),
    _t3("d3", "3.危及“三安全一稳定”", _D),
    _t3("d4", "4.保护第三方合法权益", _D),
    _t3("d5", "5.属于三类内部事务信息", _D),
    _t3("d6", "6.属于四类过程性信息", _D),
    _t3("d7", "7.属于行政执法案卷", _D),
    _t3("d8", "8.属于行政查询事项", _D),
    _t3("u1", "1.本机关不掌握相关政府信息", _U),
    _t3("u2", "2.没有现成信息需要另行制作", _U),
    _t3("u3", "3.补正后申请内容仍不明确", _U),
    _t3("n1", "1.信访举报投诉类申请", _N),
    _t3("n2", "2.重复申请", _N),
    _t3("n3", "3.要求提供公开出版物", _N),
    _t3("n4", "4.无正当理由大量反复申请", _N),
    _t3("n5", "5.要求行政机关确认或重新出具已获取信息", _N),
)
_T3_TAIL: Final = (
    _t3("total", "（七）总计", _RESULTS),
    _t3("forward", "四、结转下年度继续办理"),
)
T3_2021: Final = TableDef(
    "t3",
    "表三",
    3,
    _T3_HEAD
    + (
        _t3("o1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", _O),
        _t3("o2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", _O),
        _t3("o3", "3.其他", _O),
    )
    + _T3_TAIL,
)
T3_2019: Final = TableDef("t3", "表三", 3, _T3_HEAD + (_t3("o", "（六）其他处理", _RESULTS),) + _T3_TAIL)

# Result rows summed into （七）总计 (B2), per format.
T3_RESULT_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "granted": ("granted",),
    "partial": ("partial",),
    "refused": ("d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"),
    "unavailable": ("u1", "u2", "u3"),
    "not_processed": ("n1", "n2", "n3", "n4", "n5"),
    "other": ("o1", "o2", "o3"),
}
T3_GROUP_LABELS: Final = {
    "granted": "予以公开",
    "partial": "部分公开",
    "refused": "不予公开",
    "unavailable": "无法提供",
    "not_processed": "不予处理",
    "other": "其他处理",
}

# ---------------------------------------------------------------- 表四
T4_COLUMNS: Final = (
    ColumnDef("upheld", "结果维持"),
    ColumnDef("corrected", "结果纠正"),
    ColumnDef("other", "其他结果"),
    ColumnDef("pending", "尚未审结"),
    ColumnDef("total", "总计"),
)
T4_COLUMN_KEYS: Final = tuple(c.key for c in T4_COLUMNS)
T4: Final = TableDef(
    "t4",
    "表四",
    4,
    (
        RowDef("review", "行政复议", T4_COLUMNS),
        RowDef("direct", "未经复议直接起诉", T4_COLUMNS, "行政诉讼"),
        RowDef("after_review", "复议后起诉", T4_COLUMNS, "行政诉讼"),
    ),
)


@dataclass(frozen=True, slots=True)
class ReportFormat:
    id: FormatId
    name: str
    tables: tuple[TableDef, ...]

    def table(self, table_id: str) -> TableDef:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)

    def t3_result_rows(self) -> tuple[str, ...]:
        rows = [k for g in T3_RESULT_GROUPS.values() for k in g]
        if self.id is FormatId.F2019:
            rows = [k for k in rows if not k.startswith("o")] + ["o"]
        return tuple(rows)

    def t3_group_rows(self, group: str) -> tuple[str, ...]:
        if group == "other" and self.id is FormatId.F2019:
            return ("o",)
        return T3_RESULT_GROUPS[group]


FORMATS: Final[dict[FormatId, ReportFormat]] = {
    FormatId.F2021: ReportFormat(
        FormatId.F2021, "2021年版（国办公开办函〔2021〕30号）", (T2_2021, T3_2021, T4)
    ),
    FormatId.F2019: ReportFormat(
        FormatId.F2019, "2019年试行版（国办公开办函〔2019〕60号）", (T2_2019, T3_2019, T4)
    ),
}


def format_for_year(year: int) -> FormatId:
    """The format a report for `year` must use."""
    return FormatId.F2021 if year >= 2021 else FormatId.F2019


TABLE_NAMES: Final = {"t2": "表二", "t3": "表三", "t4": "表四"}
TABLE_SECTION: Final = {"t2": 2, "t3": 3, "t4": 4}
