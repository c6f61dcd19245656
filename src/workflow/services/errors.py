"""What a service refuses, with a Chinese message for the user and an HTTP-ish code for the web layer."""

from __future__ import annotations

from typing import Any

from workflow.domain import states


class ServiceError(Exception):
    code = 400
    default_message = "请求无法处理"

    def __init__(self, message: str | None = None, *, code: int | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.details = details
        super().__init__(self.message)


class NotFound(ServiceError):
    code = 404
    default_message = "找不到请求的记录"


class InvalidTransition(ServiceError):
    code = 409
    default_message = "当前状态下不能执行该操作"

    @classmethod
    def wrap(cls, exc: states.InvalidTransition) -> InvalidTransition:
        return cls(exc.message, state=exc.state.value, event=exc.event.value)


class StateConflict(ServiceError):
    """Someone else changed the report first; nothing was changed by this request."""

    code = 409
    default_message = "报告状态已被其他操作改变，请刷新后重试"


class AlreadyDecided(StateConflict):
    default_message = "该报告已由其他审核人作出决定，请刷新后查看"


class AlreadySubmitted(StateConflict):
    """A second press of 提交: the first one went through; nothing more was written."""

    default_message = "报告已提交，无需再次提交"


class ReportExists(StateConflict):
    """The body's report for the season was started already (by this user or a colleague)."""

    default_message = "本单位该年度的报告已经开始填报"

    def __init__(self, report_id: int, message: str | None = None) -> None:
        super().__init__(message, report_id=report_id)
        self.report_id = report_id


class StaleVersion(ServiceError):
    code = 409
    default_message = "报告已被他人更新，您看到的不是最新版本，请刷新后重试"


class SubmissionBlocked(ServiceError):
    """Errors present, warnings unexplained, or nothing changed since the last submission."""

    code = 422
    default_message = "报告暂不能提交"


class UploadTooLarge(ServiceError):
    code = 413
    default_message = "上传的文件过大"


class ImportRejected(ServiceError):
    code = 422
    default_message = "无法读取上传的文件"


class PermissionDenied(ServiceError):
    code = 403
    default_message = "您没有权限执行该操作"
