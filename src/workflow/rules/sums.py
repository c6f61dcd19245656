"""The sum rules of the tables, as data: which cells add up to which, and the message when they don't.

One source for the server and the browser: B1, B2 (表三) and C1 (表四) format their findings with
the message templates below, and the report form embeds `sum_rules(format)` as JSON so the page
computes the same totals as the clerk types and marks a sum that does not add up with the same
text ("{expected}" and "{actual}" are filled in by whoever checks).
"""

from __future__ import annotations

from typing import Any, Final

from workflow.domain.formats import FORMATS, T3_COLUMNS, T3_LEGAL_PERSON_COLUMNS, T4, FormatId

# B1: a 表三 row's six parts add up to its 总计.
B1_MESSAGE: Final = "表三“{label}”行：总计应等于自然人与法人或其他组织各列之和 {expected}，实际填写 {actual}"
# B2: the result rows add up to （七）总计, column by column.
B2_MESSAGE: Final = "表三“{label}”列：（七）总计应等于各项办理结果之和 {expected}，实际填写 {actual}"
# C1: a 表四 group's four results add up to its 总计.
C1_MESSAGE: Final = (
    "表四{label}：总计应等于结果维持、结果纠正、其他结果、尚未审结之和 {expected}，实际填写 {actual}"
)

T3_ROW_PARTS: Final = ("natural", *T3_LEGAL_PERSON_COLUMNS)
T4_GROUP_LABELS: Final = {
    "review": "行政复议",
    "direct": "行政诉讼（未经复议直接起诉）",
    "after_review": "行政诉讼（复议后起诉）",
}
T4_RESULT_COLUMNS: Final = tuple(c.key for c in T4.rows[0].columns if c.key != "total")


def _cell(table: str, row: str, column: str) -> str:
    return f"{table}.{row}.{column}"


def sum_rules(fmt: FormatId) -> list[dict[str, Any]]:
    """Every sum of the format: {"rule", "target", "parts", "message"} with cells as "t3.new.total".

    `message` is the rule's template with the row or column label filled in; "{expected}" and
    "{actual}" are left for the checker.
    """
    spec = FORMATS[fmt]
    out: list[dict[str, Any]] = []
    t3 = spec.table("t3")
    for row in t3.rows:
        out.append(
            {
                "rule": "B1",
                "target": _cell("t3", row.key, "total"),
                "parts": [_cell("t3", row.key, c) for c in T3_ROW_PARTS],
                "message": B1_MESSAGE.replace("{label}", row.label),
            }
        )
    result_rows = spec.t3_result_rows()
    for col in T3_COLUMNS:
        out.append(
            {
                "rule": "B2",
                "target": _cell("t3", "total", col.key),
                "parts": [_cell("t3", r, col.key) for r in result_rows],
                "message": B2_MESSAGE.replace("{label}", col.label),
            }
        )
    for group in spec.table("t4").rows:
        out.append(
            {
                "rule": "C1",
                "target": _cell("t4", group.key, "total"),
                "parts": [_cell("t4", group.key, c) for c in T4_RESULT_COLUMNS],
                "message": C1_MESSAGE.replace("{label}", T4_GROUP_LABELS[group.key]),
            }
        )
    return out
