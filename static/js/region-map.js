/* Small region map: the region's districts over all regions, from the site's own GeoJSON (no external tiles). */
(function () {
  var el = document.getElementById("region-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el, { attributionControl: true, zoomControl: true, scrollWheelZoom: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("geokz, CC BY 4.0");
  function load(url) { return fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) { return r.json(); }); }
  load(el.dataset.regions).then(function (regions) {
    var own = null;
    L.geoJSON(regions, {
      style: function (f) {
        var mine = f.properties.kato === el.dataset.kato;
        return { color: mine ? "#0b5394" : "#888", weight: mine ? 2 : 1, fillColor: mine ? "#9fc5e8" : "#eee", fillOpacity: mine ? 0.5 : 0.3 };
      },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); if (f.properties.kato === el.dataset.kato) { own = layer; } }
    }).addTo(map);
    if (own) { map.fitBounds(own.getBounds()); }
    return load(el.dataset.districts);
  }).then(function (districts) {
    L.geoJSON(districts, { style: { color: "#0b5394", weight: 0.7, fill: false }, onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); } }).addTo(map);
  }).catch(function () { el.textContent = el.getAttribute("aria-label"); });
})();
