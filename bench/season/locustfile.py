"""A January's people on the season's site, for locust.

    SEASON_MANIFEST=manifest.json locust -f bench/season/locustfile.py --host http://127.0.0.1:8000

(bench/season/run.py seeds the district, writes the manifest, starts `workflow run` and runs this.)

Who (locust weights, of every 100 simulated people):

* 70 clerks, each signed in with its own body's account (one clerk per body, as in a real district):
  open the draft, save cells (a typo typed and corrected), upload the body's .docx when the draft is
  empty, explain each warning, submit when the form shows no error, read the status page; when the
  report comes back returned they change section 5 and submit again;
* 10 reviewers: the queue, one report, then approve (4 in 5) or return it with a comment on section 5;
* 5 of the district office (政务公开办): the dashboard, the status export (.xlsx), the review queue;
* 15 of the public, not signed in: the portal's index, a year, a report, its PDF, the search.

Every person thinks 5 to 15 s between actions; a browser's follow-up GET after a posted form (303)
is sent at once, as a browser does.  Requests are named by kind ("clerk: save", "public: pdf"; see
kinds.py).  A failure is any answer other than the expected one: a 5xx, a timeout (30 s), a sign-in
refused, a save or submission refused.  The only answers that are not failures although not the
expected one are the races a real season has: a save refused as stale (409, "clerk: save
(conflict)") and a decision another reviewer made first (409, "reviewer: decide (conflict)").
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

TIMEOUT = 30  # seconds: a request that takes longer is a failure
# A connection idle this long is closed before the next request, as the server will have closed it
# (uvicorn's keep-alive timeout is 5 s; every think time is longer).  Otherwise a request sent just as
# the server closes its end is reset, which a browser retries without the user noticing but requests
# reports as a failure: an artifact of the load generator, not an answer of the server.
IDLE_CLOSE = 2.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STATE = re.compile(r'id="report-state">([^<]+)<')
EDITABLE_LABELS = {"草稿": "draft", "已退回": "returned", "校验未通过，待修改": "needs_fixes"}
SENT_BACK = ("已退回", "校验未通过，待修改")  # the clerk changes something before submitting again

_manifest: dict[str, Any] = json.loads(Path(os.environ["SEASON_MANIFEST"]).read_text(encoding="utf-8"))
YEARS = (_manifest["year"] - 1, _manifest["year"])  # last year's published reports, this year's
_lock = threading.Lock()
_pools: dict[str, list[Any]] = {
    "clerk": list(_manifest["clerks"]),
    "reviewer": list(_manifest["reviewers"]),
    "office": list(_manifest["offices"]),
}


def _take(pool: str) -> Any:
    with _lock:
        return _pools[pool].pop(0) if _pools[pool] else None


def scenario_failure(message: str) -> None:
    """A simulated person who cannot go on: counted as a failure of kind "scenario"."""
    events.request.fire(
        request_type="SCENARIO",
        name="scenario",
        response_time=0,
        response_length=0,
        exception=RuntimeError(message),
        context={},
    )


class FormFields(HTMLParser):
    """The fields a browser would post from the form with id `form_id` (no file inputs, no buttons)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value", "on" if kind in ("checkbox", "radio") else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self.fields.setdefault(self._select, value)
            if "selected" in a:
                self.fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data


def form_fields(html: str, form_id: str) -> dict[str, str]:
    p = FormFields(form_id)
    p.feed(html)
    p.close()
    # A browser drops the newline right after <textarea>: so does the form parser of the server.
    return {k: v[1:] if v.startswith("\n") else v for k, v in p.fields.items()}


class SeasonUser(HttpUser):
    abstract = True
    wait_time = between(5, 15)
    role = ""

    def request(
        self,
        method: str,
        path: str,
        name: str,
        expect: tuple[int, ...] = (200,),
        conflict: tuple[int, ...] = (),
        conflict_name: str = "",
        check: str | None = None,
        **kw: Any,
    ) -> tuple[int, str]:
        """One request, judged: (status, text); status 0 when no answer came (timeout, reset)."""
        kw.setdefault("allow_redirects", False)
        if time.monotonic() - getattr(self, "_last_answer", 0.0) > IDLE_CLOSE:
            self.client.close()  # a fresh connection after thinking (the pool reconnects on demand)
        with self.client.request(method, path, name=name, timeout=TIMEOUT, catch_response=True, **kw) as resp:
            status = resp.status_code or 0
            text = resp.text if status else ""
            self._last_location = resp.headers.get("location", "") if status else ""
            if status in conflict:
                resp.request_meta["name"] = conflict_name  # an expected race, counted on its own
                resp.success()
            elif status not in expect:
                why = getattr(resp, "error", None) or _summary(text)
                resp.failure(f"{status} {why}")
            elif check is not None and check not in text:
                resp.failure(f"{status} without {check!r}: {_summary(text)}")
            else:
                resp.success()
        self._last_answer = time.monotonic()
        return status, text

    def sign_in(self, username: str) -> bool:
        status, page = self.request("GET", "/login", f"{self.role}: login page")
        m = CSRF.search(page)
        if status != 200 or m is None:
            return False
        data = {"username": username, "password": _manifest["password"], "csrf_token": m.group(1)}
        status, _ = self.request("POST", "/login", f"{self.role}: login", expect=(303,), data=data)
        return status == 303


class Clerk(SeasonUser):
    """One body's clerk: its own account, its own report."""

    weight = 70
    role = "clerk"

    def on_start(self) -> None:
        self.account = _take("clerk")
        if self.account is None:
            scenario_failure("more simulated clerks than seeded bodies")
            raise StopUser()
        self.rid = self.account["report_id"]
        self.kind = self.account["kind"]
        self.rng = random.Random(self.account["username"])
        self.signed_in = False
        self.page: dict[str, Any] | None = None  # the form as last read
        self.state = ""
        self.uploaded = False
        self.saves_left = self.rng.choice((1, 2, 2, 3))
        self.typo: tuple[str, str] | None = None
        self.changes = 0  # resubmissions after a return
        self.needs_change = False
        self.stuck = False
        self.signed_in = self.sign_in(self.account["username"])
        if self.signed_in:
            self.request("GET", "/reports", "clerk: my reports")

    # ------------------------------------------------------------------ reading
    def open_form(self) -> None:
        status, html = self.request("GET", f"/reports/{self.rid}/edit", "clerk: form")
        self.page = self.read_form(html) if status == 200 else None

    def read_form(self, html: str) -> dict[str, Any] | None:
        state = STATE.search(html)
        errors = re.search(r'id="count-error">(\d+)<', html)
        if state is None or errors is None:
            scenario_failure(f"clerk {self.account['username']}: the form page lacks its state or counts")
            return None
        self.state = state.group(1)
        if self.state in SENT_BACK:  # returned, perhaps before this clerk first looked at the form
            self.needs_change = True
        unexplained = [
            key
            for key, body in re.findall(r'class="explain" data-key="([^"]+)">(.*?)</form>', html, re.S)
            if "已说明" not in body
        ]
        csrf = CSRF.search(html)
        return {
            "fields": form_fields(html, "report-form"),
            "errors": int(errors.group(1)),
            "unexplained": unexplained,
            "csrf": csrf.group(1) if csrf else "",
        }

    def read_status(self) -> None:
        status, html = self.request("GET", f"/reports/{self.rid}", "clerk: status")
        m = STATE.search(html) if status == 200 else None
        if m is None:
            return
        if m.group(1) in SENT_BACK:
            self.page = None  # open the form again: read_form sees it was sent back
        self.state = m.group(1)

    # ------------------------------------------------------------------ one action per think time
    @task
    def act(self) -> None:
        if not self.signed_in:
            self.signed_in = self.sign_in(self.account["username"])
            return
        if self.stuck or (self.page is not None and self.state not in EDITABLE_LABELS):
            self.read_status()
            return
        if self.page is None:
            self.open_form()
            return
        page = self.page
        if self.kind == "blank" and not self.uploaded:
            self.upload()
        elif self.needs_change:
            self.save(change=True)
        elif self.saves_left > 0:
            self.save()
        elif page["unexplained"]:
            self.explain(page["unexplained"][0])
        elif page["errors"]:
            scenario_failure(
                f"clerk {self.account['username']}: {page['errors']} errors on a form that should have none"
            )
            self.stuck = True
        else:
            self.submit()

    # ------------------------------------------------------------------ writing
    def after_post(self) -> None:
        """The browser follows the 303 to the form."""
        status, html = self.request("GET", f"/reports/{self.rid}/edit", "clerk: form")
        self.page = self.read_form(html) if status == 200 else None

    def save(self, change: bool = False) -> None:
        assert self.page is not None
        fields = dict(self.page["fields"])
        if "revision" not in fields:
            scenario_failure(f"clerk {self.account['username']}: the form has no revision field")
            self.stuck = True
            return
        if change:
            self.changes += 1
            extra = "根据审核意见，已补充上年度问题的整改情况。" * self.changes
            fields["section.5.text"] = fields.get("section.5.text", "").rstrip() + "\n" + extra
        elif self.typo is not None:
            key, value = self.typo  # the typo typed last time, corrected
            fields[key] = value
            self.typo = None
        elif self.saves_left >= 2:
            cells = sorted(k for k, v in fields.items() if k.startswith("cell.") and v.strip().isdigit())
            if cells:
                key = self.rng.choice(cells)
                self.typo = (key, fields[key])
                fields[key] = str(int(fields[key]) + 1)
        data = fields | {"csrf_token": self.page["csrf"], "action": "save"}
        status, _ = self.request(
            "POST",
            f"/reports/{self.rid}/edit",
            "clerk: save",
            expect=(303,),
            conflict=(409,),
            conflict_name="clerk: save (conflict)",
            data=data,
        )
        if status == 303:
            if change:
                self.needs_change = False
            else:
                self.saves_left -= 1
        self.after_post()

    def upload(self) -> None:
        assert self.page is not None
        path = Path(self.account["docx"])
        files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
        # The upload makes a preview (303 to it); 确认导入 replaces the draft (issue #15).
        status, _ = self.request(
            "POST",
            f"/reports/{self.rid}/import",
            "clerk: upload",
            expect=(303,),
            data={"revision": self.page["fields"].get("revision", ""), "csrf_token": self.page["csrf"]},
            files=files,
        )
        pending = self._pending_id()
        if status != 303 or pending is None:
            self.page = None
            return
        status, html = self.request(
            "POST",
            f"/reports/{self.rid}/import/confirm",
            "clerk: upload (confirm)",
            check="已从",
            data={"pending": pending, "csrf_token": self.page["csrf"]},
        )
        if status == 200:
            self.uploaded = True
            self.page = self.read_form(html)
        else:
            self.page = None

    def _pending_id(self) -> str | None:
        """The preview's id, from the redirect the upload answered with."""
        location = getattr(self, "_last_location", "") or ""
        return location.split("p=", 1)[1] if "p=" in location else None

    def explain(self, key: str) -> None:
        assert self.page is not None
        data = {
            "csrf_token": self.page["csrf"],
            "finding_key": key,
            "text": "已核实：标题沿用本单位往年写法。",
        }
        self.request("POST", f"/reports/{self.rid}/explain", "clerk: explain", expect=(303,), data=data)
        self.after_post()

    def submit(self) -> None:
        assert self.page is not None
        data = {"csrf_token": self.page["csrf"]}
        status, _ = self.request(
            "POST", f"/reports/{self.rid}/submit", "clerk: submit", expect=(303,), data=data
        )
        if status == 422:  # refused although the form showed nothing to fix: counted once, not each visit
            self.stuck = True
        if status != 303:
            self.page = None  # read the form again (it says why)
            return
        self.read_status()  # the browser follows the 303 to the status page


class Reviewer(SeasonUser):
    """A reviewer of the district: both review stages."""

    weight = 10
    role = "reviewer"

    def on_start(self) -> None:
        self.username = _take("reviewer")
        if self.username is None:
            scenario_failure("more simulated reviewers than seeded reviewer accounts")
            raise StopUser()
        self.rng = random.Random(self.username)
        self.pending: tuple[int, str, str] | None = None  # (report id, version, csrf) being read
        self.queue: list[int] = []
        self.signed_in = self.sign_in(self.username)

    @task
    def act(self) -> None:
        if not self.signed_in:
            self.signed_in = self.sign_in(self.username)
        elif self.pending is not None:
            self.decide(*self.pending)
        elif not self.queue:
            self.read_queue()
        else:
            self.open(self.queue.pop(self.rng.randrange(len(self.queue))))

    def read_queue(self) -> None:
        status, html = self.request("GET", "/review", "reviewer: queue")
        self.queue = (
            sorted({int(x) for x in re.findall(r'href="/review/(\d+)"', html)}) if status == 200 else []
        )

    def open(self, rid: int) -> None:
        status, html = self.request("GET", f"/review/{rid}", "reviewer: report")
        version = re.search(r'name="version" value="(\d+)"', html)
        csrf = CSRF.search(html)
        if status == 200 and version and csrf and 'id="approve"' in html:
            self.pending = (rid, version.group(1), csrf.group(1))

    def decide(self, rid: int, version: str, csrf: str) -> None:
        self.pending = None
        data: dict[str, Any] = {"csrf_token": csrf, "version": version}
        if self.rng.random() < 0.8:
            data["decision"], name = "approve", "reviewer: approve"
        else:
            data |= {
                "decision": "return",
                "reason": "text",
                "comment.5": "第五部分请写明上一年度报告所提问题的整改情况。",
            }
            name = "reviewer: return"
        self.request(
            "POST",
            f"/review/{rid}/decide",
            name,
            expect=(303,),
            conflict=(409,),
            conflict_name="reviewer: decide (conflict)",
            data=data,
        )
        self.read_queue()  # where the 303 leads


class Office(SeasonUser):
    """政务公开办: watches the season."""

    weight = 5
    role = "office"

    def on_start(self) -> None:
        self.username = _take("office")
        if self.username is None:
            scenario_failure("more simulated office staff than seeded office accounts")
            raise StopUser()
        self.signed_in = self.sign_in(self.username)

    @task(5)
    def dashboard(self) -> None:
        if self.ready():
            self.request("GET", "/admin", "office: dashboard")

    @task(1)
    def xlsx(self) -> None:
        if self.ready():
            self.request("GET", "/admin/status.xlsx", "office: xlsx")

    @task(1)
    def review_queue(self) -> None:
        if self.ready():
            self.request("GET", "/review?state=", "office: review queue")

    def ready(self) -> bool:
        if not self.signed_in:
            self.signed_in = self.sign_in(self.username)
            return False
        return True


class Public(SeasonUser):
    """Somebody reading the portal: no account."""

    weight = 15
    role = "public"

    def on_start(self) -> None:
        self.rng = random.Random()
        self.reports: list[int] = []
        self.pdfs: list[str] = []

    @task(2)
    def index(self) -> None:
        self.request("GET", "/public/", "public: index")

    @task(2)
    def year(self) -> None:
        status, html = self.request("GET", f"/public/years/{self.rng.choice(YEARS)}/", "public: year")
        found = {int(x) for x in re.findall(r"reports/(\d+)/", html)} if status == 200 else set()
        self.reports = sorted(set(self.reports) | found)

    @task(4)
    def report(self) -> None:
        rid = self.rng.choice(self.reports or _manifest["published"])
        status, html = self.request("GET", f"/public/reports/{rid}/", "public: report")
        for number in re.findall(r"v(\d+)/report\.pdf", html) if status == 200 else ():
            path = f"/public/reports/{rid}/v{number}/report.pdf"
            if path not in self.pdfs:
                self.pdfs.append(path)

    @task(2)
    def pdf(self) -> None:
        if self.pdfs:
            self.request("GET", self.rng.choice(self.pdfs), "public: pdf")
        else:
            self.report()

    @task(1)
    def search(self) -> None:
        self.request("GET", "/public/search/", "public: search", params={"q": "湟中"})


def _summary(text: str) -> str:
    """The gist of an error page: its message (flash or error page), <title> or first heading, else
    the first characters."""
    for pattern in (
        r'class="flash error"[^>]*>([^<]{1,200})<',
        r'class="error-message"[^>]*>([^<]{1,200})<',
        r"<(?:title|h1)[^>]*>([^<]{1,120})<",
    ):
        m = re.search(pattern, text)
        if m:
            return m.group(1).strip()
    return re.sub(r"\s+", " ", text[:160])
