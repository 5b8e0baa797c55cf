/* PPB maps: the cycle's territory from the site's own GeoJSON, with an OpenStreetMap street layer when it loads.
   If the tiles fail (offline, blocked), the street layer is removed after a few errors and the outline alone
   remains, with a note; nothing else depends on the tiles.
   #pin-map: click inside the cycle's boundary to set the project pin; it fills the hidden pin_lat/pin_lon pair and
   the visible lat/lon inputs, and typing in the visible inputs moves the pin (keyboard users never need the map).
   A place search (settlements the site holds, in kk/ru/en) flies the map to a place and puts the pin there;
   "use my location" does the same with the browser's position. The server still checks the pin is inside.
   #point-map: one project point. #cycle-map: every proposal of a cycle. */
(function () {
  if (typeof L === "undefined") { return; }
  function load(url) { return fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) { return r.json(); }); }
  function say(el, text) { if (el) { el.textContent = text || ""; } }
  function baseMap(el) {
    var map = L.map(el, { attributionControl: true, scrollWheelZoom: false });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("geokz, CC BY 4.0");
    if (el.dataset.tiles) {
      var tiles = L.tileLayer(el.dataset.tiles, {
        maxZoom: 19, referrerPolicy: "strict-origin-when-cross-origin",
        attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
      });
      var errors = 0;
      tiles.on("tileerror", function () {
        errors += 1;
        if (errors === 3) {
          map.removeLayer(tiles);
          el.classList.add("offline");
          var note = document.getElementById(el.id + "-offline");
          if (note) { note.hidden = false; }
        }
      });
      tiles.addTo(map);
    }
    return map;
  }
  function area(map, url) {
    return load(url).then(function (data) {
      var layer = L.geoJSON(data, { style: { color: "#0b5394", weight: 2, fillColor: "#9fc5e8", fillOpacity: 0.25 } }).addTo(map);
      map.fitBounds(layer.getBounds());
      return layer;
    });
  }

  var pin = document.getElementById("pin-map");
  if (pin) {
    var form = pin.closest("form");
    var lat = form.querySelector("[name=lat]"), lon = form.querySelector("[name=lon]");
    var hlat = form.querySelector("[name=pin_lat]"), hlon = form.querySelector("[name=pin_lon]");
    var status = document.getElementById("map-status");
    var map = baseMap(pin), marker = null;
    function place(latlng, fromMap) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
      hlat.value = latlng.lat.toFixed(6); hlon.value = latlng.lng.toFixed(6);
      if (fromMap) { lat.value = hlat.value; lon.value = hlon.value; }
    }
    function goTo(latlng, message) {
      map.setView(latlng, Math.max(map.getZoom(), 15));
      place(latlng, true);
      say(status, message);
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

    var tools = document.getElementById("map-tools");
    if (tools) {
      tools.hidden = false;
      var box = document.getElementById("place-q"), list = document.getElementById("place-results");
      function search() {
        var q = box.value.trim();
        list.innerHTML = "";
        if (q.length < 2) { say(status, tools.dataset.msgShort); return; }
        fetch(tools.dataset.search + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (!data.results.length) { say(status, tools.dataset.msgNone); return; }
            say(status, tools.dataset.msgFound.replace("{n}", data.results.length));
            data.results.forEach(function (row) {
              var li = document.createElement("li"), button = document.createElement("button");
              button.type = "button";
              button.textContent = row.name + " (" + row.type + ")";
              button.addEventListener("click", function () {
                list.innerHTML = "";
                goTo(L.latLng(row.lat, row.lon), tools.dataset.msgPlaced.replace("{place}", row.name));
              });
              li.appendChild(button); list.appendChild(li);
            });
          })
          .catch(function () { say(status, tools.dataset.msgError); });
      }
      document.getElementById("place-go").addEventListener("click", search);
      box.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); search(); } });
      var locate = document.getElementById("locate-me");
      locate.addEventListener("click", function () {
        if (!navigator.geolocation || !window.isSecureContext) { say(status, tools.dataset.msgNoGeo); return; }
        say(status, tools.dataset.msgLocating);
        navigator.geolocation.getCurrentPosition(function (pos) {
          goTo(L.latLng(pos.coords.latitude, pos.coords.longitude), tools.dataset.msgLocated);
        }, function (err) {
          say(status, err.code === 1 ? tools.dataset.msgDenied : tools.dataset.msgNoGeo);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  var point = document.getElementById("point-map");
  if (point) {
    var p = JSON.parse(point.dataset.point), m = baseMap(point);
    area(m, point.dataset.area).then(function () {
      L.marker([p.lat, p.lon], { keyboard: false, title: p.title }).addTo(m);
    }).catch(function () { m.setView([p.lat, p.lon], 14); L.marker([p.lat, p.lon]).addTo(m); });
  }

  var all = document.getElementById("cycle-map");
  if (all) {
    var points = JSON.parse(all.dataset.points), cm = baseMap(all);
    function markers() {
      points.forEach(function (q) {
        var link = document.createElement("a");
        link.href = q.url; link.textContent = q.title;
        L.marker([q.lat, q.lon], { keyboard: false, title: q.title }).bindPopup(link).addTo(cm);
      });
    }
    area(cm, all.dataset.area).then(markers).catch(function () {
      markers();
      if (points.length) { cm.fitBounds(points.map(function (q) { return [q.lat, q.lon]; })); }
    });
  }

  var picker = document.getElementById("goal-filter");
  if (picker) {
    picker.hidden = false;
    var label = document.querySelector("label[for=goal-filter]");
    if (label) { label.hidden = false; }
    var items = Array.prototype.slice.call(document.querySelectorAll("#goal-picker li"));
    picker.addEventListener("input", function () {
      var q = picker.value.trim().toLowerCase();
      items.forEach(function (li) { li.hidden = q && li.dataset.text.indexOf(q) === -1 && !li.querySelector("input").checked; });
    });
    picker.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); } });
  }
})();
