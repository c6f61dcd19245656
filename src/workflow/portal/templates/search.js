/* The exported site has no server: filter the full list in the browser instead. */
(function () {
  var form = document.querySelector("form.filters"), input = document.getElementById("q");
  var year = document.getElementById("year"), type = document.getElementById("type");
  var rows = document.querySelectorAll("#results tbody tr[data-name]"), count = document.getElementById("count");
  function apply() {
    var words = input.value.trim().split(/\s+/).filter(Boolean), shown = 0;
    rows.forEach(function (tr) {
      var ok = words.every(function (w) { return tr.getAttribute("data-name").indexOf(w) >= 0; }) &&
        (!year.value || tr.getAttribute("data-year") === year.value) &&
        (!type.value || tr.getAttribute("data-type") === type.value);
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = "找到 " + shown + " 份报告"; }
  }
  var params = new URLSearchParams(location.search);
  if (params.get("q")) { input.value = params.get("q"); }
  if (params.get("year")) { year.value = params.get("year"); }
  if (params.get("type")) { type.value = params.get("type"); }
  [input, year, type].forEach(function (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); });
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  apply();
})();
