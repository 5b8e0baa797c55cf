/* PPB maps, from the site's own GeoJSON (no external tiles).
   #pin-map: click inside the cycle's boundary to set the project pin; it fills the hidden pin_lat/pin_lon pair and
   the visible lat/lon inputs, and typing in the visible inputs moves the pin (keyboard users never need the map).
   #point-map: shows one project point inside the cycle's boundary. */
(function () {
  if (typeof L === "undefined") { return; }
  function load(url) { return fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) { return r.json(); }); }
  function baseMap(el) {
    var map = L.map(el, { attributionControl: true, scrollWheelZoom: false });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("geokz, CC BY 4.0");
    return map;
  }
  function area(map, url) {
    return load(url).then(function (data) {
      var layer = L.geoJSON(data, { style: { color: "#0b5394", weight: 2, fillColor: "#9fc5e8", fillOpacity: 0.35 } }).addTo(map);
      map.fitBounds(layer.getBounds());
      return layer;
    });
  }

  var pin = document.getElementById("pin-map");
  if (pin) {
    var form = pin.closest("form");
    var lat = form.querySelector("[name=lat]"), lon = form.querySelector("[name=lon]");
    var hlat = form.querySelector("[name=pin_lat]"), hlon = form.querySelector("[name=pin_lon]");
    var map = baseMap(pin), marker = null;
    function place(latlng, fromMap) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
      hlat.value = latlng.lat.toFixed(6); hlon.value = latlng.lng.toFixed(6);
      if (fromMap) { lat.value = hlat.value; lon.value = hlon.value; }
    }
    area(map, pin.dataset.area).then(function (layer) {
      layer.on("click", function (e) { place(e.latlng, true); });
      var a = parseFloat(lat.value || hlat.value), b = parseFloat(lon.value || hlon.value);
      if (!isNaN(a) && !isNaN(b)) { place(L.latLng(a, b), false); }
    }).catch(function () { pin.hidden = true; });
    map.on("click", function (e) { place(e.latlng, true); });
    function typed() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (!isNaN(a) && !isNaN(b)) { place(L.latLng(a, b), false); }
    }
    lat.addEventListener("change", typed); lon.addEventListener("change", typed);
  }

  var point = document.getElementById("point-map");
  if (point) {
    var p = JSON.parse(point.dataset.point), m = baseMap(point);
    area(m, point.dataset.area).then(function () {
      L.marker([p.lat, p.lon], { keyboard: false, title: p.title }).addTo(m);
    }).catch(function () { m.setView([p.lat, p.lon], 14); L.marker([p.lat, p.lon]).addTo(m); });
  }
})();
