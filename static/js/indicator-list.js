/* Indicator list (grouped by goal): a closed goal loads its indicators in place when opened, and the search
   refreshes the results as the visitor types. Without JavaScript the page works the same through links and the
   form (?goal=, ?q=); both ask the server for the same HTML (?partial=1 returns the results only). */
(function () {
  "use strict";
  var form = document.getElementById("indicator-filters");
  var results = document.getElementById("indicator-results");
  if (!form || !results) { return; }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  // A closed goal: fetch its indicators the first time it is opened.
  document.addEventListener("toggle", function (event) {
    var group = event.target;
    if (!group.matches || !group.matches("details.goal-group[data-rows-url]") || !group.open) { return; }
    var url = group.getAttribute("data-rows-url");
    group.removeAttribute("data-rows-url");
    var body = group.querySelector(".goal-rows");
    body.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var rows = parse(html).querySelector("#" + group.id + " .goal-rows");
      if (rows) { body.innerHTML = rows.innerHTML; }
    }).catch(function () {
      group.setAttribute("data-rows-url", url);  // the link to ?goal= stays and works
    }).then(function () { body.removeAttribute("aria-busy"); });
  }, true);

  // The search: the server's results for the form's current values, without reloading the page.
  var input = form.querySelector("input[name=q]");
  var controller = null;
  var timer = null;
  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) { params.delete(key); } });
    var query = params.toString();
    params.set("partial", "1");
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    fetch(window.location.pathname + "?" + params.toString(),
          { credentials: "same-origin", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        var fresh = parse(html);
        var count = document.getElementById("indicator-count");
        var freshCount = fresh.querySelector("#indicator-count");
        var groups = document.getElementById("indicator-groups");
        var freshGroups = fresh.querySelector("#indicator-groups");
        if (count && freshCount) { count.innerHTML = freshCount.innerHTML; }
        if (groups && freshGroups) { groups.replaceWith(freshGroups); }
        window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
      }).catch(function () { /* aborted or failed: the form still submits */ });
  }
  if (input) {
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    });
  }
})();
