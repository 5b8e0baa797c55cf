/* Value picker: filter the rows as the visitor types (the form still works without JavaScript: ?q=). */
(function () {
  "use strict";
  var input = document.querySelector("#indicator-filters input[name=q]");
  var list = document.getElementById("indicator-picker");
  var count = document.getElementById("indicator-count");
  if (!input || !list) { return; }
  var rows = Array.prototype.slice.call(list.querySelectorAll("[data-search]"));
  function matches(text, code, word) {
    if (/^\d+$/.test(word)) {
      return text.indexOf("#" + word + "#") !== -1 || code.indexOf(word + "-") === 0;
    }
    return text.indexOf(word) !== -1 || text.indexOf(word.replace(/\./g, "-")) !== -1;
  }
  function apply() {
    var words = input.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var code = text.split(" ")[0];
      var ok = words.every(function (w) { return matches(text, code, w); });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) {
      count.textContent = shown === 1 ? count.getAttribute("data-template-one")
        : count.getAttribute("data-template-many") + " " + String(shown) + ".";
    }
  }
  var timer = null;
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 120);
  });
})();
