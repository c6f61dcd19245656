"""Why a reviewer returns a report: stable codes (stored with the decision) and their Chinese labels."""

REASON_CODES = {
    "numbers": "表格数据有误或不一致",
    "format": "未使用规定的年度报告格式",
    "text": "正文内容与表格不符",
    "missing": "缺少必要内容（如信息处理费、存在问题及改进情况）",
    "other": "其他",
}
