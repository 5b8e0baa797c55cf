/* Map form: the year list and the "districts" option follow the chosen layer (the form works without it). */
(function () {
  "use strict";
  var layer = document.getElementById("id_layer");
  var year = document.getElementById("id_year");
  var level = document.getElementById("id_level");
  var help = document.getElementById("year-help");
  if (!layer) { return; }
  var initial = layer.value;
  layer.addEventListener("change", function () {
    var changed = layer.value !== initial;
    if (year) {
      // The listed years belong to the previous layer: until "Show", only "latest" can be chosen.
      Array.prototype.forEach.call(year.options, function (option, index) {
        option.disabled = changed && index > 0;
      });
      if (changed) { year.selectedIndex = 0; }
      if (help) { help.hidden = !changed; }
    }
    if (level) {
      var allowed = (level.getAttribute("data-district-layers") || "").split(" ");
      var district = level.querySelector("option[value=district]");
      if (district) {
        district.disabled = allowed.indexOf(layer.value) === -1;
        if (district.disabled && level.value === "district") { level.value = "region"; }
      }
    }
  });
})();
