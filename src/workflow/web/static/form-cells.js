/* Findings at the cell, keyboard entry and the live check status (issue #15.3, #15.8).
 *
 * - A link to a finding's place (a.to-cell, href="#cell-t3-new-total", "#row-t4-review",
 *   "#col-t3-total", "#table-t3", "#section-5") opens the folded part that holds it, scrolls it
 *   into view, highlights it (and the cells of a row or column) and puts the cursor in the cell.
 * - Enter in a table cell moves to the cell below (same column); Shift+Enter to the cell above.
 *   Enter never posts the form from a cell.
 * - "空白格填 0" fills a table's empty cells with 0 (each filled cell fires input/change, so the
 *   sums and the autosave see it).
 * - #check-status with data-checking: polls its data-url (GET, every 2 s) until the check is in,
 *   then reloads the page once so the findings are shown at their cells; on the form, the counts
 *   are refreshed after each autosave.
 */
(function () {
  "use strict";
  var POLL_MS = 2000;

  function cellsOf(id) {
    var m;
    if ((m = /^row-(t\d)-(.+)$/.exec(id))) {
      return document.querySelectorAll('td[data-cell^="' + m[1] + "." + m[2] + '."]');
    }
    if ((m = /^col-(t\d)-(.+)$/.exec(id))) {
      return document.querySelectorAll('td[data-cell^="' + m[1] + '."][data-cell$=".' + m[2] + '"]');
    }
    return [];
  }

  function highlight(id) {
    var target = document.getElementById(id);
    if (!target) return false;
    for (var p = target.parentElement; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
    document.querySelectorAll(".flash-target").forEach(function (el) {
      el.classList.remove("flash-target");
    });
    var marked = [target];
    cellsOf(id).forEach(function (td) {
      marked.push(td);
    });
    marked.forEach(function (el) {
      el.classList.add("flash-target");
    });
    var first = marked.length > 1 ? marked[1] : target;
    first.scrollIntoView({ block: "center" });
    var input = target.querySelector ? target.querySelector("input, textarea") : null;
    if (!input && marked.length > 1) input = marked[1].querySelector("input");
    if (input && !input.disabled) input.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest('a[href^="#"]') : null;
    if (!a) return;
    var id = decodeURIComponent(a.getAttribute("href").slice(1));
    if (id && highlight(id)) {
      e.preventDefault();
      if (history.replaceState) history.replaceState(null, "", "#" + id);
    }
  });
  if (location.hash.length > 1) highlight(decodeURIComponent(location.hash.slice(1)));

  // ---- keyboard entry down a column
  function cellKey(td) {
    var parts = (td.getAttribute("data-cell") || "").split(".");
    return { table: parts[0], row: parts[1], col: parts.slice(2).join(".") };
  }

  function nextInColumn(input, step) {
    var td = input.closest("td[data-cell]");
    if (!td) return null;
    var here = cellKey(td);
    var all = Array.prototype.slice.call(
      document.querySelectorAll('td[data-cell^="' + here.table + '."]')
    );
    var i = all.indexOf(td);
    for (var j = i + step; j >= 0 && j < all.length; j += step) {
      var k = cellKey(all[j]);
      var box = all[j].querySelector("input");
      if (k.col === here.col && box && !box.disabled) return box;
    }
    return null;
  }

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing) return;
    var input = e.target;
    if (!input.matches || !input.matches("td[data-cell] input")) return;
    e.preventDefault(); // never post the form from a cell
    var next = nextInColumn(input, e.shiftKey ? -1 : 1);
    if (next) {
      next.focus();
      next.select();
    }
  });

  // ---- fill a table's empty cells with 0
  document.querySelectorAll("button.fill-zero[data-table]").forEach(function (button) {
    button.addEventListener("click", function () {
      var table = document.getElementById("table-" + button.getAttribute("data-table"));
      if (!table) return;
      var filled = 0;
      table.querySelectorAll("td[data-cell] input").forEach(function (input) {
        if (input.disabled || input.value.trim() !== "") return;
        input.value = "0";
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
        filled += 1;
      });
      var note = button.parentNode.querySelector(".fill-note");
      if (!note) {
        note = document.createElement("span");
        note.className = "fill-note muted";
        note.setAttribute("role", "status");
        button.parentNode.appendChild(note);
      }
      note.textContent = filled ? "已将 " + filled + " 个空白格填为 0。" : "没有空白格。";
    });
  });

  // ---- the check status: one count, polled while the workers check
  var status = document.getElementById("check-status");
  if (!status) return;
  var url = status.getAttribute("data-url");

  function show(data) {
    var checking = !!data.checking;
    document.getElementById("check-progress").hidden = !checking;
    document.getElementById("check-counts").hidden = checking;
    document.getElementById("check-label").textContent = data.label + "的校验结果";
    if (checking && data.progress) {
      var bar = document.getElementById("check-bar");
      bar.max = data.progress.of;
      bar.value = data.progress.step;
      document.getElementById("check-words").textContent = data.progress.text;
    }
    if (!checking && data.counts) {
      ["error", "warning", "notice"].forEach(function (k) {
        var el = document.getElementById("count-" + k);
        if (el) el.textContent = String(data.counts[k] || 0);
      });
    }
    return checking;
  }

  function fetchStatus(then) {
    var req = new XMLHttpRequest();
    req.open("GET", url);
    req.setRequestHeader("Accept", "application/json");
    req.onload = function () {
      if (req.status !== 200) return then(null);
      try {
        then(JSON.parse(req.responseText));
      } catch (err) {
        then(null);
      }
    };
    req.onerror = function () {
      then(null);
    };
    req.send();
  }

  function poll() {
    fetchStatus(function (data) {
      if (data && !show(data)) {
        // The result is in: show the findings at their cells (a fresh page, nothing typed to lose:
        // a report under check cannot be edited).
        status.removeAttribute("data-checking");
        location.reload();
        return;
      }
      setTimeout(poll, POLL_MS);
    });
  }
  if (status.hasAttribute("data-checking")) setTimeout(poll, POLL_MS);

  // After an autosave (form-save.js says 已保存), the draft's count is fetched again.
  var saveStatus = document.getElementById("save-status");
  if (saveStatus && window.MutationObserver) {
    new MutationObserver(function () {
      if (saveStatus.getAttribute("data-state") === "saved") {
        fetchStatus(function (data) {
          if (data) show(data);
        });
      }
    }).observe(saveStatus, { attributes: true, attributeFilter: ["data-state"] });
  }
})();
