/* The tables' sums in the browser as the clerk types (issue #15.3).
 *
 * The rules come from the page (#sum-rules data-rules: workflow.rules.sums, the definitions and
 * message texts the server's check uses): each rule says which cells add up to which.  When all of
 * a rule's parts hold numbers, an empty target cell shows the total ("合计 N", and as its
 * placeholder); a filled target that differs is marked with the server's own message.  Blank or
 * unreadable parts: nothing is said (the full check on the server reports the blanks on save).
 */
(function () {
  "use strict";
  var holder = document.getElementById("sum-rules");
  if (!holder) return;
  var rules;
  try {
    rules = JSON.parse(holder.getAttribute("data-rules") || "[]");
  } catch (err) {
    return;
  }
  var inputs = {};
  document.querySelectorAll("td[data-cell] input").forEach(function (input) {
    inputs[input.closest("td").getAttribute("data-cell")] = input;
  });
  var byTarget = {};
  var byPart = {};
  rules.forEach(function (rule) {
    if (!inputs[rule.target]) return;
    (byTarget[rule.target] = byTarget[rule.target] || []).push(rule);
    rule.parts.forEach(function (p) {
      (byPart[p] = byPart[p] || []).push(rule.target);
    });
  });

  function number(input) {
    if (!input) return null;
    var text = input.value.replace(/[\s,，]/g, "");
    if (!/^\d+(\.\d+)?$/.test(text)) return null;
    return Number(text);
  }

  function plain(n) {
    return String(Math.round(n * 1e6) / 1e6);
  }

  function describe(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
      return x && x !== id;
    });
    if (on) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function update(target) {
    var input = inputs[target];
    var td = input.closest("td");
    var box = td.querySelector(".live-sum");
    var totals = [];
    var wrong = [];
    var actual = number(input);
    byTarget[target].forEach(function (rule) {
      var sum = 0;
      for (var i = 0; i < rule.parts.length; i++) {
        var v = number(inputs[rule.parts[i]]);
        if (v === null) return; // a blank or unreadable part: not assessable
        sum += v;
      }
      totals.push(sum);
      if (actual !== null && Math.abs(actual - sum) > 1e-9) {
        wrong.push(rule.message.replace("{expected}", plain(sum)).replace("{actual}", input.value.trim()));
      }
    });
    var id = td.id + "-live";
    if (!box) {
      box = document.createElement("div");
      box.className = "live-sum";
      box.id = id;
      td.appendChild(box);
    }
    input.placeholder = totals.length === 1 || (totals.length > 1 && totals.every(function (t) {
      return t === totals[0];
    })) ? plain(totals[0]) : "";
    if (wrong.length) {
      box.className = "live-sum finding error";
      box.textContent = "错误 " + wrong.join("；");
      td.classList.add("has-live-error");
      input.setAttribute("aria-invalid", "true");
      describe(input, id, true);
    } else {
      box.className = "live-sum";
      // The total is shown while the clerk has not typed it (a correct one needs no repeating).
      box.textContent = totals.length && actual === null ? "合计 " + totals.map(plain).join(" / ") : "";
      td.classList.remove("has-live-error");
      if (!td.classList.contains("has-error")) input.removeAttribute("aria-invalid");
      describe(input, id, false);
    }
  }

  Object.keys(byTarget).forEach(update);
  document.addEventListener("input", function (e) {
    var td = e.target.closest ? e.target.closest("td[data-cell]") : null;
    if (!td) return;
    var key = td.getAttribute("data-cell");
    var touched = {};
    if (byTarget[key]) touched[key] = true;
    (byPart[key] || []).forEach(function (t) {
      touched[t] = true;
    });
    Object.keys(touched).forEach(update);
  });
})();
