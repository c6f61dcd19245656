/* The exported site has no server: filter the full list in the browser instead. */
(function () {
  var input = document.getElementById("q"), rows = document.querySelectorAll("#results tbody tr[data-name]");
  function apply() {
    var words = input.value.trim().split(/\s+/).filter(Boolean);
    rows.forEach(function (tr) {
      var name = tr.getAttribute("data-name");
      tr.style.display = words.every(function (w) { return name.indexOf(w) >= 0; }) ? "" : "none";
    });
  }
  var q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; }
  input.addEventListener("input", apply);
  input.form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  apply();
})();
