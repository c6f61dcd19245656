// Reviewers' comments in place: a comment on a table cell goes into that cell (the page lists it
// under its section for a browser without scripts).  On the reviewer's page a click on a cell picks
// it for a new cell comment.
(function () {
  "use strict";

  function cellOf(anchor) {
    var found = null;
    document.querySelectorAll("td[data-cell]").forEach(function (td) {
      if (!found && td.getAttribute("data-cell") === anchor) found = td;
    });
    return found;
  }

  document.querySelectorAll(".review-note[data-anchor]").forEach(function (note) {
    var td = cellOf(note.getAttribute("data-anchor"));
    if (!td) return;
    td.classList.add(note.classList.contains("open") ? "has-open-note" : "has-note");
    td.appendChild(note);
  });

  function freeSlot(fieldset) {
    var slots = fieldset.querySelectorAll(".cell-slot");
    var last = slots[slots.length - 1];
    var text = last.querySelector("textarea");
    if (!text.value.trim() && !last.querySelector("select").value) return last;
    var copy = last.cloneNode(true);
    copy.querySelector("textarea").value = "";
    copy.querySelector("select").value = "";
    last.parentNode.appendChild(copy);
    return copy;
  }

  document.querySelectorAll("fieldset.cell-comments").forEach(function (fieldset) {
    var block = fieldset.closest(".section-block");
    if (!block) return;
    block.addEventListener("click", function (event) {
      var target = event.target;
      if (target.closest(".review-note") || target.closest("fieldset")) return;
      var td = target.closest("td[data-cell]");
      if (!td) return;
      var slot = freeSlot(fieldset);
      var select = slot.querySelector("select");
      select.value = td.getAttribute("data-cell");
      if (select.value !== td.getAttribute("data-cell")) return;
      document.querySelectorAll("td.picked").forEach(function (c) { c.classList.remove("picked"); });
      td.classList.add("picked");
      slot.querySelector("textarea").focus();
    });
  });
})();
