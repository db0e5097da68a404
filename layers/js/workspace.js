/* Corridor Atlas: the map as a workspace — selection, the chooser, the details drawer, stacked points,
 * labels, styles by status and precision, the timeline, and what the map tells the app.
 *
 * Loaded after corridor_atlas.js, whose ``layer`` registers every feature it draws here. Everything a
 * user or a file wrote reaches the page as text and is set with ``textContent`` or escaped with
 * ``CorridorAtlas.esc``; the only HTML taken as it is was made and escaped on the server (sources).
 */
(function () {
  "use strict";

  var CA = window.CorridorAtlas;

  /* --- styles by status and location precision ---------------------------------------------- */

  var STATUS_LINE = {"under construction": {dashArray: "10 6"}, "planned": {dashArray: "3 6", fade: 0.8},
    "agreed": {dashArray: "1 7", fade: 0.7}};
  var STATUS_POINT = {"under construction": {fillFade: 0.45}, "planned": {fillFade: 0.12},
    "agreed": {fillFade: 0.12}};
  var PRECISION_POINT = {"approximate": {dashArray: "4 2"}, "city-level": {dashArray: "1 3", grow: 2}};

  function valueAt(data, key, i) { return data[key] ? data[key][i] : null; }

  /* The style of feature ``i``: the layer's style, changed by its status and its location precision. */
  function featureStyle(base, data, i, point) {
    var style = Object.assign({}, base), status = valueAt(data, "status", i);
    var precision = valueAt(data, "precision", i), opacity = style.opacity === undefined ? 1 : style.opacity;
    if (point) {
      var fill = style.fillOpacity === undefined ? 0.9 : style.fillOpacity, s = STATUS_POINT[status];
      if (s) { style.fillOpacity = fill * s.fillFade; }
      var p = PRECISION_POINT[precision];
      if (p) { style.dashArray = p.dashArray; style.radius = (style.radius || 6) + (p.grow || 0); }
      return style;
    }
    var line = STATUS_LINE[status];
    if (line) { style.dashArray = line.dashArray; style.opacity = opacity * (line.fade || 1); }
    if (precision === "schematic") {
      style.weight = Math.max(1.5, (style.weight || 3) * 0.6);
      style.opacity = (style.opacity === undefined ? opacity : style.opacity) * 0.6;
    }
    return style;
  }

  /* Legend rows that explain the styles (fixed text, drawn only for what the map shows). */
  var STATUS_ROWS = [
    ["operating", '<line x1="1" y1="7" x2="29" y2="7" stroke="#555" stroke-width="3"/>', "Operating"],
    ["under construction", '<line x1="1" y1="7" x2="29" y2="7" stroke="#555" stroke-width="3" stroke-dasharray="10 6"/>',
      "Under construction (points half filled)"],
    ["planned", '<line x1="1" y1="7" x2="29" y2="7" stroke="#555" stroke-width="3" stroke-dasharray="3 6"/>',
      "Planned (points hollow)"],
    ["agreed", '<line x1="1" y1="7" x2="29" y2="7" stroke="#555" stroke-width="3" stroke-dasharray="1 7"/>',
      "Agreed, not started (points hollow)"]
  ];
  var PRECISION_ROWS = [
    ["exact", '<circle cx="15" cy="7" r="5" fill="#bbb" stroke="#333" stroke-width="2"/>', "Exact position"],
    ["approximate", '<circle cx="15" cy="7" r="5" fill="#bbb" stroke="#333" stroke-width="2" stroke-dasharray="4 2"/>',
      "Approximate position"],
    ["city-level", '<circle cx="15" cy="7" r="6" fill="#bbb" stroke="#333" stroke-width="2" stroke-dasharray="1 3"/>',
      "City-level position"],
    ["schematic", '<line x1="1" y1="7" x2="29" y2="7" stroke="#555" stroke-width="1.8" opacity="0.6"/>',
      "Schematic route (thin, faded)"]
  ];

  /* --- the registry: every feature drawn, by id ---------------------------------------------- */

  var registry = {};      // id -> {item, data, i, geo}
  var states = [];        // one per map (the app has one; a page may have several)

  function register(id, entry) { registry[id] = entry; }

  function stateOf(map) {
    for (var k = 0; k < states.length; k++) { if (states[k].map === map) { return states[k]; } }
    return null;
  }

  function onMap(map, entry) {
    return entry.geo._map === map && entry.geo.hasLayer(entry.item) && mapHasAncestor(map, entry.geo);
  }

  function mapHasAncestor(map, geo) {
    var parents = geo._eventParents || {};
    for (var key in parents) { if (!map.hasLayer(parents[key])) { return false; } }
    return true;
  }

  function entryName(entry) {
    var data = entry.data, i = entry.i, first = data.tooltip && data.tooltip[0];
    var name = first ? data.values[first][i] : null;
    return CA.present(name) ? String(name) : String(data.ids[i]);
  }

  function isPoint(item) { return typeof item.getRadius === "function"; }

  /* --- hit testing: every feature under a click, not just the top one ------------------------ */

  function lineDistance(item, p) {
    var parts = item._parts || [], best = Infinity, closed = item instanceof L.Polygon;
    if (closed && item._containsPoint && item._containsPoint(p)) { return 0; }
    parts.forEach(function (ring) {
      for (var k = 1; k < ring.length; k++) {
        best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, ring[k - 1], ring[k]));
      }
    });
    return best;
  }

  function hitsAt(map, containerPoint) {
    var layerPoint = map.containerPointToLayerPoint(containerPoint), hits = [];
    Object.keys(registry).forEach(function (id) {
      var entry = registry[id], item = entry.item;
      if (!onMap(map, entry)) { return; }
      var distance;
      if (isPoint(item)) {
        distance = map.latLngToLayerPoint(item.getLatLng()).distanceTo(layerPoint) - item.getRadius();
      } else {
        distance = lineDistance(item, layerPoint) - (item.options.weight || 2) / 2;
      }
      if (distance <= 5) { hits.push({id: id, entry: entry, distance: distance}); }
    });
    hits.sort(function (a, b) { return a.distance - b.distance; });
    return hits;
  }

  /* --- selection: halo, drawer, and the app told --------------------------------------------- */

  function haloFor(entry) {
    var item = entry.item;
    if (isPoint(item)) {
      return L.circleMarker(item.getLatLng(), {radius: item.getRadius() + 6, color: "#111", weight: 3,
        fillColor: "#FFD400", fillOpacity: 0.55, interactive: false, pane: "ca-halo"});
    }
    return L.geoJSON(item.toGeoJSON(), {interactive: false, pane: "ca-halo",
      style: function () { return {color: "#FFD400", weight: (item.options.weight || 3) + 10, opacity: 0.75}; }});
  }

  function select(state, id, options) {
    var map = state.map, entry = id ? registry[id] : null;
    if (state.halo) { map.removeLayer(state.halo); state.halo = null; }
    state.selected = entry ? id : null;
    state.wanted = entry ? null : id;   // asked for before its layer arrived (or not on the map)
    if (!entry) { state.drawer.hide(); if (options.report) { report(state); } return; }
    state.halo = haloFor(entry).addTo(map);
    state.drawer.show(entry);
    if (options.fly) {
      var item = entry.item;
      map.once("moveend", function () { keepVisible(state, entry); });
      if (isPoint(item)) { map.flyTo(item.getLatLng(), Math.max(map.getZoom(), 8), {duration: 0.6}); }
      else { map.flyToBounds(item.getBounds().pad(0.15), {duration: 0.6, maxZoom: 9}); }
    } else {
      keepVisible(state, entry);
      setTimeout(function () { if (state.selected === id) { keepVisible(state, entry); } }, 400);  // after layout
    }
    if (options.report) { report(state); }
  }

  /* Pan so the selected feature is not under the details drawer: into the map's free part (left of the
     drawer on a wide screen, above it on a phone). */
  function keepVisible(state, entry) {
    var map = state.map, box = state.drawer.rect();
    if (!box) { return; }
    var item = entry.item, at = isPoint(item) ? item.getLatLng() : item.getBounds().getCenter();
    var p = map.latLngToContainerPoint(at), size = map.getSize();
    var m = 40;  // the marker, its halo and its label need room beside the drawer
    if (p.x < box.left - m || p.y < box.top - m || p.x > box.right + m || p.y > box.bottom + m) { return; }
    var wide = box.left > size.x / 3;
    var target = wide ? L.point(box.left / 2, size.y / 2) : L.point(size.x / 2, box.top / 2);
    map.panBy(p.subtract(target), {animate: false});
  }

  /* What the map tells the app: the selection, the year and the label language, as one message. The
     st_folium front end sends the ``layer`` of a ``draw:created`` event as ``last_active_drawing``. */
  function report(state) {
    var message = {type: "Feature", geometry: null, properties: {
      ca: "state", feature: state.selected, year: state.year, lang: state.lang
    }};
    state.map.fire("draw:created", {layerType: "ca-state", layer: {toGeoJSON: function () { return message; }}});
  }

  /* The chooser: a short list when a click hits several features. */
  function choose(state, latlng, hits) {
    var list = L.DomUtil.create("div", "ca-chooser");
    L.DomUtil.create("div", "ca-chooser-head", list).textContent = hits.length + " features here — pick one:";
    var popup = L.popup({maxWidth: 320, className: "ca-chooser-popup", autoPanPaddingTopLeft: [10, 64]}).setLatLng(latlng).setContent(list);
    hits.slice(0, 12).forEach(function (hit) {
      var button = L.DomUtil.create("button", "ca-chooser-item", list);
      button.type = "button";
      L.DomUtil.create("b", "", button).textContent = entryName(hit.entry);
      L.DomUtil.create("span", "", button).textContent = " · " + hit.entry.data.title;
      L.DomEvent.on(button, "click", function (event) {
        L.DomEvent.stop(event);
        state.map.closePopup(popup);
        select(state, hit.id, {report: true});
      });
    });
    popup.openOn(state.map);
  }

  function onClick(state, event) {
    if (state.drawing) { return; }
    var hits = hitsAt(state.map, event.containerPoint);
    if (hits.length === 1) { select(state, hits[0].id, {report: true}); }
    else if (hits.length > 1) { choose(state, event.latlng, hits); }
    else if (state.selected) { select(state, null, {report: true}); }
  }

  /* --- the details drawer --------------------------------------------------------------------- */

  function makeDrawer(state) {
    var box = L.DomUtil.create("aside", "ca-drawer", state.map.getContainer());
    box.setAttribute("aria-label", "Details of the selected feature");
    box.hidden = true;
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return {
      show: function (entry) {
        box.innerHTML = "";
        var close = L.DomUtil.create("button", "ca-drawer-close", box);
        close.type = "button";
        close.title = "Close details";
        close.textContent = "✕";
        L.DomEvent.on(close, "click", function () { select(state, null, {report: true}); });
        L.DomUtil.create("div", "ca-drawer-layer", box).textContent = entry.data.title;
        L.DomUtil.create("h3", "ca-drawer-name", box).textContent = entryName(entry);
        var body = L.DomUtil.create("div", "ca-drawer-body", box);
        body.innerHTML = CA.detailsHtml(entry.data, entry.i);
        box.hidden = false;
      },
      hide: function () { box.hidden = true; box.innerHTML = ""; },
      rect: function () {
        if (box.hidden) { return null; }
        var outer = state.map.getContainer().getBoundingClientRect(), inner = box.getBoundingClientRect();
        return {left: inner.left - outer.left, top: inner.top - outer.top, right: inner.right - outer.left,
          bottom: inner.bottom - outer.top};
      }
    };
  }

  /* --- stacked points: a count on the top one; a click there offers the chooser ------------------ */

  function markStacks(state) {
    var map = state.map, points = [];
    state.stacks.clearLayers();
    Object.keys(registry).forEach(function (id) {
      var entry = registry[id];
      if (isPoint(entry.item) && onMap(map, entry)) {
        points.push({item: entry.item, at: map.latLngToLayerPoint(entry.item.getLatLng())});
      }
    });
    var taken = new Array(points.length);
    for (var a = 0; a < points.length; a++) {
      if (taken[a]) { continue; }
      var count = 1, top = points[a];
      for (var b = a + 1; b < points.length; b++) {
        var near = 0.75 * Math.max(points[a].item.getRadius(), points[b].item.getRadius());
        if (!taken[b] && points[b].at.distanceTo(points[a].at) < near) {
          taken[b] = true;
          count += 1;
          if (points[b].item.getRadius() > top.item.getRadius()) { top = points[b]; }
        }
      }
      if (count < 2) { continue; }
      var r = top.item.getRadius();
      state.stacks.addLayer(L.marker(top.item.getLatLng(), {interactive: false, keyboard: false, pane: "ca-labels",
        icon: L.divIcon({className: "ca-stack", html: String(count), iconSize: [18, 18], iconAnchor: [-r + 7, r + 9]})}));
    }
  }

  /* --- the timeline ----------------------------------------------------------------------------- */

  function applyYear(state) {
    Object.keys(registry).forEach(function (id) {
      var entry = registry[id], year = valueAt(entry.data, "year", entry.i);
      var shown = state.year === null || year === null || year === undefined || year <= state.year;
      if (shown && !entry.geo.hasLayer(entry.item)) { entry.geo.addLayer(entry.item); }
      if (!shown && entry.geo.hasLayer(entry.item)) { entry.geo.removeLayer(entry.item); }
    });
    state.timeline.show(state.year);
    refresh(state);
  }

  function makeTimeline(state, span) {
    var box = L.DomUtil.create("div", "ca-timeline", state.map.getContainer());
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    var play = L.DomUtil.create("button", "ca-timeline-play", box);
    play.type = "button";
    play.title = "Play the years";
    play.textContent = "▶";
    var range = L.DomUtil.create("input", "ca-timeline-range", box);
    range.type = "range";
    range.min = span[0];
    range.max = span[1];
    range.step = 1;
    range.setAttribute("aria-label", "Network as it stood in");
    var label = L.DomUtil.create("div", "ca-timeline-year", box);
    label.setAttribute("aria-live", "polite");
    var timer = null;
    function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = "▶"; }
    function setYear(year, tell) {
      state.year = Number(year) >= span[1] ? null : Number(year);
      applyYear(state);
      if (tell) { report(state); }
    }
    L.DomEvent.on(range, "input", function () { stop(); setYear(range.value, false); });
    L.DomEvent.on(range, "change", function () { setYear(range.value, true); });
    L.DomEvent.on(play, "click", function () {
      if (timer) { stop(); report(state); return; }
      var year = state.year === null ? span[0] : state.year;
      play.textContent = "❚❚";
      setYear(year, false);
      timer = setInterval(function () {
        year += 1;
        setYear(year, false);
        if (year >= span[1]) { stop(); report(state); }
      }, 700);
    });
    return {
      show: function (year) {
        range.value = year === null ? span[1] : year;
        label.textContent = year === null ? "Today (" + span[1] + ")" : "As of " + year;
      }
    };
  }

  /* --- labels that appear where they fit ------------------------------------------------------ */

  function labelText(state, data, i) {
    var names = data.names && data.names[state.lang];
    if (names && CA.present(names[i])) { return String(names[i]); }
    if (data.label && CA.present(data.label[i])) { return String(data.label[i]); }
    return null;
  }

  var FACILITY_LABEL_ZOOM = 6;  // facilities are named from this zoom on, where their labels fit

  function placeLabels(state) {
    var map = state.map, zoom = map.getZoom(), placed = [];
    state.labels.clearLayers();
    var candidates = [];
    Object.keys(registry).forEach(function (id) {
      var entry = registry[id], data = entry.data, i = entry.i;
      if (!onMap(map, entry) || !isPoint(entry.item)) { return; }
      var text = labelText(state, data, i) || (data.labelAll ? entryName(entry) : null);
      if (!text) { return; }
      var minZoom = data.labelZoom ? data.labelZoom[i] : (data.labelAll ? FACILITY_LABEL_ZOOM : 0);
      if (zoom < minZoom) { return; }
      candidates.push({text: text, at: entry.item.getLatLng(), rank: minZoom + (data.labelAll ? 0.5 : 0),
        offset: entry.item.getRadius() + 3, kind: "ca-label"});
    });
    state.basemapLabels.forEach(function (label) {
      if (zoom < label.minZoom) { return; }
      var text = (label.names && label.names[state.lang]) || label.text;
      candidates.push({text: text, at: label.at, rank: 10 + label.minZoom, offset: label.kind === "country" ? 0 : 4,
        kind: label.kind === "country" ? "ca-label ca-country" : "ca-label ca-place", dot: label.kind !== "country"});
    });
    candidates.sort(function (a, b) { return a.rank - b.rank; });
    var size = map.getSize(), named = {};
    candidates.forEach(function (c) {
      if (c.dot && named[c.text.toLowerCase()]) { return; }  // a basemap place the layers already name
      var p = map.latLngToContainerPoint(c.at), width = 7 * c.text.length + 6, height = 16;
      var box = c.offset ? {x0: p.x + c.offset, y0: p.y - height / 2, x1: p.x + c.offset + width, y1: p.y + height / 2}
        : {x0: p.x - width / 2, y0: p.y - height / 2, x1: p.x + width / 2, y1: p.y + height / 2};
      if (box.x1 < 0 || box.y1 < 0 || box.x0 > size.x || box.y0 > size.y) { return; }
      for (var k = 0; k < placed.length; k++) {
        var o = placed[k];
        if (box.x0 < o.x1 && box.x1 > o.x0 && box.y0 < o.y1 && box.y1 > o.y0) { return; }
      }
      placed.push(box);
      named[c.text.toLowerCase()] = true;
      var html = (c.dot ? '<span class="ca-place-dot"></span>' : "") + CA.esc(c.text);
      var anchor = c.offset ? [-c.offset + (c.dot ? 4 : 0), height / 2] : [width / 2, height / 2];
      state.labels.addLayer(L.marker(c.at, {interactive: false, keyboard: false, pane: "ca-labels",
        icon: L.divIcon({className: c.kind, html: html, iconSize: [width, height], iconAnchor: anchor})}));
    });
  }

  /* --- the legend follows what is drawn ------------------------------------------------------- */

  function styleRows(state, rows, key) {
    var present = {};
    Object.keys(registry).forEach(function (id) {
      var entry = registry[id];
      if (onMap(state.map, entry)) { present[valueAt(entry.data, key, entry.i)] = true; }
    });
    return rows.filter(function (row) { return present[row[0]]; });
  }

  function refreshStyles(state) {
    var box = state.styleBox;
    if (!box) { return; }
    box.innerHTML = "";
    [["Status", styleRows(state, STATUS_ROWS, "status")],
      ["Location precision", styleRows(state, PRECISION_ROWS, "precision")]].forEach(function (section) {
      if (!section[1].length) { return; }
      L.DomUtil.create("div", "ca-legend-sub", box).textContent = section[0];
      section[1].forEach(function (row) {
        var line = L.DomUtil.create("div", "ca-legend-row ca-legend-style", box);
        line.setAttribute("data-style", row[0]);
        line.innerHTML = '<svg width="30" height="14" aria-hidden="true">' + row[1] + "</svg><span>" +
          CA.esc(row[2]) + "</span>";
      });
    });
  }

  function refresh(state) {
    markStacks(state);
    placeLabels(state);
    refreshStyles(state);
    state.map.fire("ca:drawn");
    if (state.halo && state.selected) {
      var entry = registry[state.selected];
      state.map.removeLayer(state.halo);
      state.halo = entry && onMap(state.map, entry) ? haloFor(entry).addTo(state.map) : null;
    }
  }

  /* --- setting up, and what the app asks for ---------------------------------------------------- */

  function ensurePanes(map) {
    if (!map.getPane("ca-halo")) { map.createPane("ca-halo").style.zIndex = 390; }
    if (!map.getPane("ca-labels")) {
      var pane = map.createPane("ca-labels");
      pane.style.zIndex = 450;
      pane.style.pointerEvents = "none";
    }
  }

  /* Make ``map`` a workspace. ``options``: ``span`` [first, last] year (or null: no timeline). */
  function workspace(map, options) {
    ensurePanes(map);
    var state = {map: map, selected: null, wanted: null, halo: null, year: null, lang: "en", seq: undefined,
      stacks: L.layerGroup().addTo(map), labels: L.layerGroup().addTo(map), basemapLabels: [], drawing: false};
    states.push(state);
    state.drawer = makeDrawer(state);
    state.timeline = options.span ? makeTimeline(state, options.span) : {show: function () {}};
    state.timeline.show(null);
    map.on("click", function (event) { onClick(state, event); });
    map.on("resize", function () { if (state.selected) { keepVisible(state, registry[state.selected]); } });
    map.on("draw:drawstart", function () { state.drawing = true; });
    map.on("draw:drawstop", function () { state.drawing = false; });
    var pending = null;
    function later() { if (!pending) { pending = setTimeout(function () { pending = null; settle(state); }, 0); } }
    map.on("zoomend overlayadd overlayremove ca:loaded", later);
    map.on("baselayerchange", later);
    later();
    return state;
  }

  function settle(state) {
    if (state.year !== null) { applyYear(state); } else { refresh(state); }
    if (state.wanted && registry[state.wanted]) { select(state, state.wanted, {fly: state.flyWanted}); }
  }

  /* What the app asks for (evaluated again whenever it changes): selection, year, language, theme.
     ``ask.seq`` changes only when the app chose the feature (search, table, permalink): then the map
     goes to it; a selection made on the map comes back with the same ``seq`` and changes nothing. */
  function apply(map, ask) {
    var state = stateOf(map);
    if (!state) { return; }
    map.getContainer().classList.toggle("ca-dark", ask.theme === "dark");
    var year = ask.year === undefined ? null : ask.year;
    if (year !== state.year) { state.year = year; applyYear(state); }
    if (ask.lang && ask.lang !== state.lang) { state.lang = ask.lang; placeLabels(state); state.langBox.show(); }
    if (ask.seq !== state.seq) {
      var first = state.seq === undefined, b = ask.bounds;
      state.seq = ask.seq;
      state.flyWanted = !first && !b;
      if (b) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false}); }   // a scene: its extent, not the feature
      if ((ask.feature || null) !== state.selected) { select(state, ask.feature || null, {fly: !first && !b}); }
    }
  }

  /* The label-language switch. */
  function languages(map, langs) {
    var state = stateOf(map), control = L.control({position: "topright"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "ca-langs leaflet-bar");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Label language");
      langs.forEach(function (lang) {
        var button = L.DomUtil.create("button", "ca-lang", box);
        button.type = "button";
        button.textContent = lang.toUpperCase();
        button.setAttribute("data-lang", lang);
        L.DomEvent.on(button, "click", function (event) {
          L.DomEvent.stop(event);
          state.lang = lang;
          placeLabels(state);
          state.langBox.show();
          report(state);
        });
      });
      L.DomEvent.disableClickPropagation(box);
      state.langBox = {show: function () {
        Array.prototype.forEach.call(box.children, function (b) {
          b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === state.lang));
        });
      }};
      state.langBox.show();
      return box;
    };
    control.addTo(map);
  }

  /* Basemap labels (countries, places) from page data, placed with the others where they fit. */
  function basemapLabels(map, data, kind) {
    var state = stateOf(map);
    if (!state) { return; }
    state.basemapLabels = state.basemapLabels.filter(function (label) { return label.kind !== kind; });
    if (!data || !data.label) { placeLabels(state); return; }
    CA.geometries(data.geometry).forEach(function (geometry, i) {
      if (!CA.present(data.label[i]) || !geometry || geometry.type !== "Point") { return; }
      var names = {};
      Object.keys(data.names || {}).forEach(function (lang) { names[lang] = data.names[lang][i]; });
      state.basemapLabels.push({text: String(data.label[i]), names: names, kind: kind,
        at: L.latLng(geometry.coordinates[1], geometry.coordinates[0]),
        minZoom: data.labelZoom ? data.labelZoom[i] : 0});
    });
    placeLabels(state);
  }

  /* A fullscreen button (the Fullscreen API, when the page may use it). */
  function fullscreen(map) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var bar = L.DomUtil.create("div", "leaflet-bar ca-fullscreen");
      var link = L.DomUtil.create("a", "", bar);
      link.href = "#";
      link.role = "button";
      link.title = "Full screen";
      link.setAttribute("aria-label", "Full screen");
      link.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" fill="none" ' +
        'stroke="currentColor" stroke-width="2"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5"/></svg>';
      L.DomEvent.on(link, "click", function (event) {
        L.DomEvent.stop(event);
        var root = map.getContainer();
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (root.requestFullscreen) { root.requestFullscreen(); }
      });
      document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
      return bar;
    };
    control.addTo(map);
  }

  /* The map fills its frame, and follows it when the frame is resized. */
  function fillFrame(map) {
    function fit() {
      var root = map.getContainer();
      if (root.parentElement === document.body || root.style.height) {
        root.style.height = window.innerHeight + "px";
        map.invalidateSize();
      }
    }
    window.addEventListener("resize", fit);
    setTimeout(fit, 0);
  }

  /* Leaflet.draw's toolbar: a line (a proposed alignment), an area or a point, measured as it is drawn.
     What is drawn goes into ``window.drawnItems``, which the map component sends to the app. */
  function drawTools(map) {
    if (!L.Control.Draw) { return; }
    window.drawnItems = new L.FeatureGroup().addTo(map);
    new L.Control.Draw({
      position: "topleft",
      draw: {
        polyline: {metric: true, feet: false, showLength: true},
        polygon: {metric: true, showArea: true},
        marker: {icon: new L.DivIcon({className: "ca-drawn-point", iconSize: [14, 14]})},
        rectangle: false, circle: false, circlemarker: false
      },
      edit: false
    }).addTo(map);
    map.on("draw:created", function (event) {
      if (event.layerType !== "ca-state") { window.drawnItems.addLayer(event.layer); }
    });
  }

  /* A small box in the legend for the style rows. */
  function legendStyles(map, box) {
    var state = stateOf(map);
    if (state) { state.styleBox = L.DomUtil.create("div", "ca-legend-styles", box); refreshStyles(state); }
  }

  Object.assign(CA, {
    featureStyle: featureStyle, register: register, workspace: workspace, apply: apply, languages: languages,
    basemapLabels: basemapLabels, fullscreen: fullscreen, fillFrame: fillFrame, legendStyles: legendStyles,
    hitsAt: hitsAt, registry: registry, drawTools: drawTools
  });
})();
