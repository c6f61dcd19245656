"""政府信息公开工作年度报告 workflow engine."""
