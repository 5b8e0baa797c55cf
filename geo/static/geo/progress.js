/* Progress of a long operation (settlement import, recomputation): polls the job's status JSON. */
(function () {
  var box = document.getElementById("job-progress");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress"), text = box.querySelector("[data-text]"), url = box.dataset.statusUrl;
  if (box.dataset.finished === "true") { return; }
  function tick() {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        bar.value = d.percent; bar.textContent = d.percent + " %";
        text.textContent = d.status_label + " — " + d.percent + " %" + (d.message ? " (" + d.message + ")" : "");
        if (d.finished) { window.location.reload(); } else { setTimeout(tick, 1000); }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 800);
})();
