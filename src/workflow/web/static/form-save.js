/* The report form saves itself (issue #15.1, #15.4): nothing typed is lost.
 *
 * - Autosave: every change (debounced DELAY_MS) sends the form's fields, the explanations panel's
 *   boxes (form="report-form") and the revision the page is based on to the form's data-autosave URL
 *   (POST, X-CSRF-Token header).  The line #save-status says 已保存 HH:MM / 正在保存… / 未保存：…（why）.
 *   Nothing on the page is ever changed by a refusal: what was typed stays in its box.
 * - Conflict (another tab or person saved first): the server answers with both versions of every
 *   differing field; #save-conflict shows them with two choices: keep mine (save again on the newer
 *   revision) or take theirs (reload the page).  Autosave waits until one is chosen.
 * - Leaving the page with changes not yet saved asks first (beforeunload).
 * The form's own 保存草稿 button still posts the whole form (and app.js still keeps a copy of it across
 * an expired session).
 */
(function () {
  "use strict";
  var DELAY_MS = 1500;
  var RETRY_MS = 15000;

  function start() {
    var form = document.getElementById("report-form");
    var status = document.getElementById("save-status");
    if (!form || !status || !form.getAttribute("data-autosave")) return;
    var url = form.getAttribute("data-autosave");
    var csrfInput = form.querySelector("input[name='csrf_token']");
    var revInput = form.querySelector("input[name='revision']");
    var panel = document.getElementById("save-conflict");
    var timer = null;
    var inflight = false;
    var again = false;
    var paused = false; // a conflict is on screen
    var leaving = false; // the form is being posted by its own button
    var marked = [];
    var submitAfter = null; // the form's button was pressed while an autosave was under way

    function fields() {
      var params = new URLSearchParams();
      var els = form.elements;
      for (var i = 0; i < els.length; i++) {
        var el = els[i];
        if (!el.name || el.disabled || el.type === "file" || el.name === "action") continue;
        if (el.tagName === "BUTTON" || el.type === "submit") continue;
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
        params.append(el.name, el.value);
      }
      return params;
    }

    function snapshot(params) {
      var copy = new URLSearchParams(params);
      copy.delete("revision");
      copy.delete("csrf_token");
      return copy.toString();
    }

    var saved = snapshot(fields());
    if (document.getElementById("restored-note")) {
      // app.js has put back what an expired session cut off: on screen, not yet saved.
      saved = "";
      status.setAttribute("data-state", "dirty");
      status.textContent = "已恢复的内容尚未保存，请检查后保存（修改任意一处也会自动保存）";
    }

    function dirty() {
      return snapshot(fields()) !== saved;
    }

    function show(state, text) {
      status.setAttribute("data-state", state);
      status.textContent = text;
    }

    function mark(errors) {
      for (var i = 0; i < marked.length; i++) {
        marked[i].removeAttribute("aria-invalid");
        marked[i].removeAttribute("title");
      }
      marked = [];
      if (!errors) return;
      Object.keys(errors).forEach(function (name) {
        var el = form.elements.namedItem(name);
        if (el && el.setAttribute) {
          el.setAttribute("aria-invalid", "true");
          el.setAttribute("title", String(errors[name]));
          marked.push(el);
        }
      });
    }

    function schedule() {
      if (paused) return;
      if (dirty()) show("dirty", "有修改尚未保存…");
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, DELAY_MS);
    }

    function onEdit(e) {
      var el = e.target;
      if (el && (el.form === form || form.contains(el))) schedule();
    }

    function cell(row, text, header) {
      var td = document.createElement(header ? "th" : "td");
      if (header) {
        td.scope = "row";
        td.className = "rowlabel";
      }
      td.textContent = text === "" ? "（空）" : text;
      row.appendChild(td);
    }

    function conflict(d) {
      paused = true;
      show("conflict", "未保存：报告已在别处保存过，请在下方选择保留哪一种内容。");
      if (!panel) return;
      document.getElementById("conflict-message").textContent = d.message || "";
      var body = document.getElementById("conflict-rows");
      body.textContent = "";
      (d.differences || []).forEach(function (x) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-field", x.name);
        cell(tr, x.label, true);
        cell(tr, x.mine);
        cell(tr, x.theirs);
        body.appendChild(tr);
      });
      var more = document.getElementById("conflict-more");
      if (more) {
        more.hidden = !d.more;
        more.textContent = d.more ? "另有 " + d.more + " 处不同未列出。" : "";
      }
      panel.setAttribute("data-revision", String(d.current_revision));
      panel.hidden = false;
      panel.scrollIntoView && panel.scrollIntoView();
    }

    function answer(res) {
      var kind = res.headers.get("content-type") || "";
      if (res.redirected || kind.indexOf("application/json") < 0) {
        var why =
          res.status === 403
            ? "页面已过期，请先复制您填写的内容，再刷新页面"
            : "登录已过期，请在新的标签页重新登录后回到本页，修改会自动保存";
        return { status: "refused", message: why + "（您填写的内容仍在本页）" };
      }
      return res.json();
    }

    function save() {
      timer = null;
      if (paused) return;
      if (inflight) {
        again = true;
        return;
      }
      var params = fields();
      var snap = snapshot(params);
      if (snap === saved) return;
      inflight = true;
      show("saving", "正在保存…");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRF-Token": csrfInput ? csrfInput.value : "",
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
          Accept: "application/json",
        },
        body: params.toString(),
      })
        .then(answer)
        .then(
          function (d) {
            if (d.status === "saved") {
              if (revInput) revInput.value = String(d.revision);
              saved = snap;
              mark(d.errors);
              show("saved", "已保存 " + d.saved_at + (d.message ? "（" + d.message + "）" : ""));
            } else if (d.status === "conflict") {
              conflict(d);
            } else {
              mark(d.errors);
              show("error", "未保存：" + (d.message || "请稍后再试，您填写的内容仍在本页"));
            }
          },
          function () {
            show("error", "未保存：网络连接中断（您填写的内容仍在本页），恢复连接后会自动重试");
            if (!timer) timer = setTimeout(save, RETRY_MS);
          }
        )
        .then(function () {
          inflight = false;
          if (submitAfter) {
            var by = submitAfter;
            submitAfter = null;
            if (form.requestSubmit) form.requestSubmit(by === true ? undefined : by);
            else form.submit();
            return;
          }
          if (again) {
            again = false;
            save();
          } else if (!paused && snapshot(fields()) !== saved && !timer) {
            schedule();
          }
        });
    }

    document.addEventListener("input", onEdit);
    document.addEventListener("change", onEdit);
    form.addEventListener("submit", function (e) {
      // The form's own button: no autosave may race it (its revision would then be stale).
      if (timer) clearTimeout(timer);
      timer = null;
      if (inflight) {
        e.preventDefault(); // posted once the autosave under way has answered, on its revision
        submitAfter = e.submitter || true;
        return;
      }
      paused = true;
      leaving = true;
    });
    var keep = document.getElementById("keep-mine");
    if (keep)
      keep.addEventListener("click", function () {
        if (revInput) revInput.value = panel.getAttribute("data-revision") || revInput.value;
        panel.hidden = true;
        paused = false;
        saved = ""; // save what is on screen now, on the newer revision
        save();
      });
    var take = document.getElementById("take-theirs");
    if (take)
      take.addEventListener("click", function () {
        saved = snapshot(fields()); // nothing to keep: leave without asking
        leaving = true;
        window.location.reload();
      });
    window.addEventListener("beforeunload", function (e) {
      if (leaving || !dirty()) return;
      e.preventDefault();
      e.returnValue = "";
      return "";
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
