/* Corridor Atlas: layer data → Leaflet layers, in the browser.
 *
 * Layer data arrive as ragged arrays (integer coordinates, delta-coded, plus offsets) and plain
 * property values. Popup and tooltip HTML is built here, only when one opens, and every value is
 * escaped on the way in. Dense point layers are drawn on one canvas, clustered on a screen grid.
 */
(function () {
  "use strict";

  var HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"};

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return HTML_ESCAPES[c]; });
  }

  function present(value) {
    return value !== null && value !== undefined && value !== "";
  }

  /* Flat [lon, lat, lon, lat, …] from the delta-coded integer coordinates. */
  function flatCoordinates(geometry) {
    var deltas = geometry.coords, perDegree = geometry.perDegree, out = new Float64Array(deltas.length);
    var x = 0, y = 0;
    for (var i = 0; i < deltas.length; i += 2) {
      x += deltas[i];
      y += deltas[i + 1];
      out[i] = x / perDegree;  // exact integer over exact integer: the rounded decimal itself
      out[i + 1] = y / perDegree;
    }
    return out;
  }

  /* One GeoJSON geometry object per feature. */
  function geometries(geometry) {
    if (geometry.type === "GeoJSON") { return geometry.geometries; }
    var flat = flatCoordinates(geometry), items = new Array(flat.length / 2);
    for (var i = 0; i < items.length; i++) { items[i] = [flat[2 * i], flat[2 * i + 1]]; }
    geometry.offsets.forEach(function (offsets) {
      var nested = new Array(offsets.length - 1);
      for (var j = 0; j < nested.length; j++) { nested[j] = items.slice(offsets[j], offsets[j + 1]); }
      items = nested;
    });
    return items.map(function (coordinates) { return {type: geometry.type, coordinates: coordinates}; });
  }

  function tooltipHtml(data, i) {
    var parts = [];
    data.tooltip.forEach(function (field, position) {
      var value = data.values[field][i];
      if (!present(value)) { return; }
      parts.push(position === 0 ? "<b>" + esc(value) + "</b>" : esc(value));
    });
    return parts.join(" · ");
  }

  function popupHtml(data, i) {
    return '<div class="ca-popup"><div class="ca-layer">' + esc(data.title) + "</div>" + detailsHtml(data, i) + "</div>";
  }

  function hasPopup(data) { return data.popup.length > 0 || Boolean(data.sources); }

  /* The details card of feature ``i``: every field with its heading, whole, and its sources. */
  function detailsHtml(data, i) {
    var rows = "";
    data.popup.forEach(function (field) {
      var value = data.values[field][i];
      if (!present(value)) { return; }
      rows += "<tr><th>" + esc(data.headings[field]) + "</th><td>" + esc(value) + "</td></tr>";
    });
    var sources = data.sources && data.sources[i];  // HTML made and escaped on the server
    return '<table class="ca-props">' + rows + "</table>" +
      (sources ? '<div class="ca-sources-head">Sources</div>' + sources : "");
  }

  /* Web Mercator position of each point in [0, 1] × [0, 1], computed once. */
  function mercator(flat) {
    var n = flat.length / 2, mx = new Float64Array(n), my = new Float64Array(n), d = Math.PI / 180;
    for (var i = 0; i < n; i++) {
      var lat = Math.max(Math.min(flat[2 * i + 1], 85.0511287798), -85.0511287798) * d;
      mx[i] = (flat[2 * i] + 180) / 360;
      my[i] = (1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2;
    }
    return {x: mx, y: my};
  }

  function shortCount(count) {
    return count >= 10000 ? Math.round(count / 1000) + "k" :
      count >= 1000 ? (count / 1000).toFixed(1) + "k" : String(count);
  }

  /* Many points on one canvas: single points as dots, dense cells of a screen grid as one cluster. */
  var DensePoints = L.Layer.extend({
    options: {cellPx: 44, radius: 4, attribution: ""},

    initialize: function (data, style, options) {
      L.setOptions(this, options);
      this._data = data;
      this._style = style;
      this._flat = flatCoordinates(data.geometry);
      this._merc = mercator(this._flat);
      this._items = [];
    },

    getAttribution: function () { return this.options.attribution; },

    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "ca-dense leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      map.getPane("overlayPane").appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._redraw, this);
      map.on("click", this._onClick, this);
      map.on("mousemove", this._onHover, this);
      this._redraw();
    },

    onRemove: function (map) {
      map.off("moveend zoomend resize viewreset", this._redraw, this);
      map.off("click", this._onClick, this);
      map.off("mousemove", this._onHover, this);
      if (this._tooltip) { map.removeLayer(this._tooltip); this._tooltip = null; }
      L.DomUtil.remove(this._canvas);
    },

    _redraw: function () {
      var map = this._map;
      if (!map) { return; }
      var size = map.getSize(), ratio = window.devicePixelRatio || 1, canvas = this._canvas;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      var world = 256 * Math.pow(2, map.getZoom()), origin = map.getPixelBounds().min;
      var cellPx = this.options.cellPx, columns = Math.ceil(size.x / cellPx) + 2;
      var cells = new Map(), mx = this._merc.x, my = this._merc.y;
      for (var i = 0; i < mx.length; i++) {
        var x = mx[i] * world - origin.x, y = my[i] * world - origin.y;
        if (x < -cellPx || y < -cellPx || x > size.x + cellPx || y > size.y + cellPx) { continue; }
        var key = (Math.floor(y / cellPx) + 1) * columns + Math.floor(x / cellPx) + 1;
        var cell = cells.get(key);
        if (cell) {
          cell.count += 1; cell.sx += x; cell.sy += y; cell.members.push(i);
        } else {
          cells.set(key, {count: 1, sx: x, sy: y, members: [i]});
        }
      }
      var ctx = canvas.getContext("2d"), style = this._style, items = [];
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      ctx.font = "bold 11px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      cells.forEach(function (cell) {
        var single = cell.count === 1;
        var x = single ? cell.sx : cell.sx / cell.count, y = single ? cell.sy : cell.sy / cell.count;
        var r = single ? this.options.radius : 9 + 3 * Math.log10(cell.count);
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.globalAlpha = single ? (style.fillOpacity === undefined ? 0.9 : style.fillOpacity) : 0.85;
        ctx.fillStyle = style.fillColor || style.color || "#333";
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.lineWidth = single ? (style.weight || 1) : 1.5;
        ctx.strokeStyle = single ? (style.color || "#000") : "#ffffff";
        ctx.stroke();
        if (!single) {
          ctx.fillStyle = "#000";
          ctx.fillText(shortCount(cell.count), x, y);
        }
        items.push({x: x, y: y, r: r, count: cell.count, members: cell.members});
      }, this);
      this._items = items;
    },

    _hit: function (event) {
      var p = event.containerPoint, best = null, bestDistance = Infinity;
      this._items.forEach(function (item) {
        var distance = Math.hypot(item.x - p.x, item.y - p.y);
        if (distance <= item.r + 3 && distance < bestDistance) { best = item; bestDistance = distance; }
      });
      return best;
    },

    _latLng: function (i) { return L.latLng(this._flat[2 * i + 1], this._flat[2 * i]); },

    _onClick: function (event) {
      var item = this._hit(event), map = this._map;
      if (!item) { return; }
      if (item.count > 1) {
        var bounds = L.latLngBounds(item.members.map(this._latLng, this));
        map.fitBounds(bounds.pad(0.2), {maxZoom: Math.min(map.getZoom() + 3, map.getMaxZoom())});
      } else {
        var i = item.members[0], latlng = this._latLng(i), id = this._data.ids[i];
        if (hasPopup(this._data)) {
          L.popup({maxWidth: 380}).setLatLng(latlng).setContent(popupHtml(this._data, i)).openOn(map);
        }
        // Reported like a click on a GeoJSON feature, so the app can select it (e.g. a Details panel).
        var feature = {type: "Feature", geometry: {type: "Point", coordinates: [latlng.lng, latlng.lat]},
          properties: {id: id, i: i}};
        this.fire("click", {latlng: latlng, layer: {feature: feature, toGeoJSON: function () { return feature; }}});
      }
    },

    _onHover: function (event) {
      var item = this._hit(event), map = this._map;
      map.getContainer().style.cursor = item ? "pointer" : "";
      if (!item) {
        if (this._tooltip) { map.removeLayer(this._tooltip); this._tooltip = null; }
        return;
      }
      var text = item.count > 1 ? esc(item.count.toLocaleString("en")) + " features · click to zoom in" :
        tooltipHtml(this._data, item.members[0]);
      if (!text) { return; }
      if (!this._tooltip) { this._tooltip = L.tooltip({direction: "top", offset: [0, -6]}); }
      this._tooltip.setLatLng(map.containerPointToLatLng([item.x, item.y])).setContent(text);
      if (!map.hasLayer(this._tooltip)) { this._tooltip.addTo(map); }
    }
  });

  /* Permanent labels (e.g. city names) open from each feature's zoom on. */
  function manageLabels(layer, data) {
    if (!data.label) { return; }
    function showLabels() {
      var zoom = layer._map ? layer._map.getZoom() : null;
      if (zoom === null) { return; }
      layer.eachLayer(function (item) {
        var i = item.feature.properties.i;
        if (!present(data.label[i])) { return; }
        var wanted = zoom >= (data.labelZoom ? data.labelZoom[i] : 0);
        if (wanted && !item.isTooltipOpen()) { item.openTooltip(); }
        if (!wanted && item.isTooltipOpen()) { item.closeTooltip(); }
      });
    }
    function attach() {
      if (!layer._map) { return; }
      layer._map.off("zoomend", showLabels).on("zoomend", showLabels);
      showLabels();
    }
    layer.on("add", attach);
    attach();
  }

  /* Labels only (countries, places of the basemap): placed by the workspace where they fit, while shown. */
  function labelLayer(data, kind) {
    var group = L.layerGroup(), shownOn = null;
    group.on("add", function () {
      shownOn = group._map;
      if (window.CorridorAtlas.basemapLabels) { window.CorridorAtlas.basemapLabels(shownOn, data, kind); }
    });
    group.on("remove", function () {
      if (shownOn && window.CorridorAtlas.basemapLabels) { window.CorridorAtlas.basemapLabels(shownOn, null, kind); }
      shownOn = null;
    });
    return group;
  }

  /* How a layer's features are styled: by status and precision when selectable (workspace.js), else as declared. */
  function styler(options) {
    var selectable = options.selectable && window.CorridorAtlas.register && window.CorridorAtlas.featureStyle;
    return selectable ? window.CorridorAtlas.featureStyle : function (base) { return base; };
  }

  /* Feature ``i``'s tooltip (its name line) and popup (its details card), built only when opened. */
  function describe(item, data, i, tooltip, popup) {
    if (tooltip && data.tooltip.length) {
      item.bindTooltip(function () { return tooltipHtml(data, i); }, {sticky: true});
    }
    if (popup && hasPopup(data)) {
      item.bindPopup(function () { return popupHtml(data, i); }, {maxWidth: 380});
    }
  }

  /* --- lines and areas nobody points at (the basemap's parts), drawn from their flat coordinates --- */

  var FLAT_TYPES = {LineString: false, MultiLineString: false, Polygon: true, MultiPolygon: true};

  /* Each feature's first and end part (a line or a ring), from the geometry's offsets: the first
     level splits the vertices into parts, each further level groups the level below. */
  function featureParts(offsets) {
    if (offsets.length === 1) { return offsets[0].map(function (_, i) { return i; }); }  // a part a feature
    var bounds = offsets[offsets.length - 1];
    for (var level = offsets.length - 2; level >= 1; level--) {
      var below = offsets[level];
      bounds = bounds.map(function (i) { return below[i]; });
    }
    return bounds;
  }

  /* One layer's lines or areas: projected to Web Mercator once, drawn by its pane's FlatCanvas. */
  var flatMade = 0;
  var FlatShapes = L.Layer.extend({
    options: {pane: "overlayPane", attribution: ""},

    initialize: function (data, style, options) {
      L.setOptions(this, options);
      var geometry = data.geometry, merc = mercator(flatCoordinates(geometry));
      this._style = style;
      this._areas = FLAT_TYPES[geometry.type];
      this._x = merc.x;
      this._y = merc.y;
      this._starts = geometry.offsets[0];  // each part's first vertex, and the end
      this._features = featureParts(geometry.offsets);
      this._order = flatMade++;  // parts of a pane are drawn in the order they were made
      var count = this._features.length - 1, box = new Float64Array(4 * count);
      for (var f = 0; f < count; f++) {
        var from = this._starts[this._features[f]], to = this._starts[this._features[f + 1]];
        box[4 * f] = box[4 * f + 1] = Infinity;
        box[4 * f + 2] = box[4 * f + 3] = -Infinity;
        for (var v = from; v < to; v++) {
          box[4 * f] = Math.min(box[4 * f], merc.x[v]);
          box[4 * f + 1] = Math.min(box[4 * f + 1], merc.y[v]);
          box[4 * f + 2] = Math.max(box[4 * f + 2], merc.x[v]);
          box[4 * f + 3] = Math.max(box[4 * f + 3], merc.y[v]);
        }
      }
      this._boxes = box;
    },

    getAttribution: function () { return this.options.attribution; },

    beforeAdd: function (map) { ensurePane(map, this.options.pane); },

    onAdd: function (map) {
      this._canvas = flatCanvasFor(this.options.pane);
      if (!map.hasLayer(this._canvas)) { map.addLayer(this._canvas); }
      this._canvas.addShapes(this);
    },

    onRemove: function () { this._canvas.removeShapes(this); },

    /* Trace the features crossing ``view`` (Mercator [0, 1] west, north, east, south) onto ``ctx``, whose
       units are the map's layer pixels: a vertex within half a pixel of the last one drawn is skipped. */
    _draw: function (ctx, scale, origin, view) {
      var style = this._style, x = this._x, y = this._y, starts = this._starts, box = this._boxes;
      var stroke = style.weight > 0 && style.stroke !== false, fill = this._areas && style.fill;
      if (!stroke && !fill) { return; }
      ctx.beginPath();
      for (var f = 0; f < this._features.length - 1; f++) {
        if (box[4 * f] > view[2] || box[4 * f + 2] < view[0] || box[4 * f + 1] > view[3] || box[4 * f + 3] < view[1]) {
          continue;
        }
        for (var part = this._features[f]; part < this._features[f + 1]; part++) {
          var first = starts[part], end = starts[part + 1];
          var lastX = x[first] * scale - origin.x, lastY = y[first] * scale - origin.y;
          ctx.moveTo(lastX, lastY);
          for (var v = first + 1; v < end; v++) {
            var px = x[v] * scale - origin.x, py = y[v] * scale - origin.y;
            if (v < end - 1 && Math.abs(px - lastX) < 0.5 && Math.abs(py - lastY) < 0.5) { continue; }
            ctx.lineTo(px, py);
            lastX = px;
            lastY = py;
          }
          if (this._areas) { ctx.closePath(); }
        }
      }
      if (fill) {
        ctx.globalAlpha = style.fillOpacity === undefined ? 0.2 : style.fillOpacity;
        ctx.fillStyle = style.fillColor || style.color;
        ctx.fill("evenodd");
      }
      if (stroke) {
        ctx.setLineDash(style.dashArray ? String(style.dashArray).split(/[ ,]+/).map(Number) : []);
        ctx.globalAlpha = style.opacity === undefined ? 1 : style.opacity;
        ctx.lineWidth = style.weight === undefined ? 3 : style.weight;
        ctx.strokeStyle = style.color;
        ctx.lineCap = style.lineCap || "round";
        ctx.lineJoin = style.lineJoin || "round";
        ctx.stroke();
      }
    }
  });

  /* The canvas of a pane's FlatShapes, all drawn in the order they were made. A Leaflet canvas
     renderer (its size, padding, position and zoom animation) that draws them after each move in
     place of Leaflet paths: a scale and an offset a vertex, no object per feature. */
  var FlatCanvas = L.Canvas.extend({
    initialize: function (options) {
      L.Canvas.prototype.initialize.call(this, options);
      this._shapes = [];
    },

    addShapes: function (shapes) {
      this._shapes.push(shapes);
      this._shapes.sort(function (a, b) { return a._order - b._order; });
      this._drawShapes();
    },

    removeShapes: function (shapes) {
      this._shapes = this._shapes.filter(function (other) { return other !== shapes; });
      this._drawShapes();
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Canvas.prototype._update.call(this);  // sizes, clears and places the canvas for the view
      this._drawShapes();
    },

    _drawShapes: function () {
      var map = this._map, b = this._bounds, ctx = this._ctx;
      if (!map || !b) { return; }
      var size = b.getSize(), scale = map.options.crs.scale(this._zoom), origin = map.getPixelOrigin();
      var view = [(b.min.x + origin.x) / scale, (b.min.y + origin.y) / scale,
        (b.max.x + origin.x) / scale, (b.max.y + origin.y) / scale];
      ctx.save();
      ctx.clearRect(b.min.x, b.min.y, size.x, size.y);
      this._shapes.forEach(function (shapes) { shapes._draw(ctx, scale, origin, view); });
      ctx.restore();
    }
  });

  var flatCanvases = {};
  function flatCanvasFor(pane) {
    if (!flatCanvases[pane]) { flatCanvases[pane] = new FlatCanvas({padding: 0.5, pane: pane}); }
    return flatCanvases[pane];
  }

  /* A layer of many features credited once, as a whole: Leaflet gives each feature of a GeoJSON layer
     the layer's options, and the map rewrites its attribution line as each credited feature comes and
     goes (thousands of times for a large layer). */
  function attributed(group, attribution) {
    group.getAttribution = function () { return attribution; };
    return group;
  }

  /* The Leaflet layer for one layer's page data. */
  function layer(data, options) {
    var style = options.style;
    if (options.labels) { return labelLayer(data, options.labels); }
    if (options.canvas && !options.interactive && options.pane && options.pane !== "overlayPane"
        && Object.prototype.hasOwnProperty.call(FLAT_TYPES, data.geometry.type)) {
      return new FlatShapes(data, style, {pane: options.pane, attribution: options.attribution});
    }
    if (data.dense) {
      return new DensePoints(data, style, {radius: options.radius, attribution: options.attribution});
    }
    var features = geometries(data.geometry).map(function (geometry, i) {
      return {type: "Feature", geometry: geometry, properties: {id: data.ids[i], i: i}};
    });
    var selectable = options.selectable && window.CorridorAtlas.register;
    var styled = styler(options);
    var made = L.geoJSON(features, {
      style: function (feature) { return styled(style, data, feature.properties.i, false); },
      pointToLayer: function (feature, latlng) {
        var base = Object.assign({}, style, {radius: options.radius});
        return L.circleMarker(latlng, styled(base, data, feature.properties.i, true));
      },
      onEachFeature: function (feature, item) {
        // A selectable feature's label, details and selection are the workspace's (workspace.js).
        var i = feature.properties.i, labelled = !selectable && data.label && present(data.label[i]);
        if (labelled) {
          item.bindTooltip(esc(data.label[i]), {
            permanent: true, direction: "right", offset: [6, 0], className: "ca-label"
          });
        }
        describe(item, data, i, !labelled, !selectable);
      },
      interactive: options.interactive,
      renderer: options.canvas || data.canvas ? L.canvas({padding: 0.5, pane: options.pane || "overlayPane"}) : undefined,
      pane: options.pane || "overlayPane"
    });
    attributed(made, options.attribution);
    if (options.pane && options.pane !== "overlayPane") {
      made.beforeAdd = function (map) { ensurePane(map, options.pane); };
    }
    made.caData = data;  // what a layer's detail (see ``detail``) is drawn with
    made.caOptions = options;
    if (selectable) {
      made.eachLayer(function (item) {
        var i = item.feature.properties.i;
        window.CorridorAtlas.register(data.ids[i], {item: item, data: data, i: i, geo: made});
      });
    } else {
      manageLabels(made, data);
    }
    return made;
  }

  /* A pane of its own (e.g. the basemap's), under the overlays (400) and over tiles (200): what is
     drawn there stays under the layers even when it arrives after them. */
  function ensurePane(map, name) {
    if (!map.getPane(name)) { map.createPane(name).style.zIndex = 350; }
  }

  /* Page data fetched by URL, one request per file however many layers use it. */
  var fetched = {};
  function fetchData(file) {
    if (!fetched[file]) {
      fetched[file] = fetch(file).then(function (response) {
        if (!response.ok) { throw new Error(file + ": HTTP " + response.status); }
        return response.json();
      });
    }
    return fetched[file];
  }

  /* A layer whose page data is fetched from ``url`` (same origin), drawn once it arrives. A URL
     ending in ``#name`` takes the member ``name`` of the file's object: layers sharing a file are
     drawn in the order they were made, whatever the network does. */
  function remoteLayer(url, options) {
    var holder = L.featureGroup();
    var hash = url.indexOf("#");
    var file = hash < 0 ? url : url.slice(0, hash);
    var member = hash < 0 ? null : decodeURIComponent(url.slice(hash + 1));
    fetchData(file)
      .then(function (all) {
        var data = member === null ? all : all[member];
        if (!data) { throw new Error(url + ": no such layer in the file"); }
        holder.addLayer(layer(data, options));
        holder.fire("ca:loaded");
        if (holder._map) { holder._map.fire("ca:loaded"); }
      })
      .catch(function (err) { console.error("Corridor Atlas: layer data not loaded: " + err.message); });
    return holder;
  }

  /* A legend control listing only the overlays currently on the map. ``entries`` are
     ``{layer, html}`` with the entry's HTML already escaped on the server (a swatch and a name). */
  function legend(map, entries, title, position) {
    var control = L.control({position: position}), rows = null;
    entries = entries.slice();
    function makeRow(entry, before) {
      entry.row = L.DomUtil.create("div", "ca-legend-row");
      entry.row.setAttribute("role", "listitem");
      entry.row.innerHTML = entry.html;
      rows.insertBefore(entry.row, before);
    }
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "ca-legend");
      box.setAttribute("role", "list");
      var head = L.DomUtil.create("button", "ca-legend-title", box);
      head.type = "button";
      head.textContent = title;
      head.setAttribute("aria-expanded", "true");
      rows = L.DomUtil.create("div", "ca-legend-rows", box);
      entries.forEach(function (entry) { makeRow(entry, null); });
      if (window.CorridorAtlas.legendStyles) { window.CorridorAtlas.legendStyles(map, rows); }
      function fold(folded) {
        box.classList.toggle("ca-folded", folded);
        head.setAttribute("aria-expanded", String(!folded));
      }
      L.DomEvent.on(head, "click", function () { fold(!box.classList.contains("ca-folded")); });
      fold(map.getSize().x < 600);  // a phone: folded until asked for
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    function refresh() {
      pending = false;
      entries.forEach(function (entry) {
        entry.row.style.display = map.hasLayer(entry.layer) && drawnCount(entry.layer) > 0 ? "" : "none";
      });
    }
    /* Once after a batch: adding a layer of n features fires n events, each of which would count them all. */
    var pending = false;
    function later() {
      if (!pending) { pending = true; Promise.resolve().then(refresh); }
    }
    map.on("overlayadd overlayremove layeradd layerremove ca:drawn", later);
    refresh();
    /* An entry added later goes in at ``index`` (an analysis result, listed first); one removed goes. */
    control.add = function (entry, index) {
      makeRow(entry, rows.children[index] || null);
      entries.push(entry);
      later();
    };
    control.remove = function (layer) {
      entries = entries.filter(function (entry) {
        if (entry.layer !== layer) { return true; }
        entry.row.remove();
        return false;
      });
    };
    map.caLegend = control;
    return control;
  }

  /* Leaflet's layer control, kept on the map so analysis results can join and leave it. ``base`` and
     ``overlays`` are keyed by their names, already escaped on the server. */
  function layerControl(map, base, overlays, options) {
    map.caLayerControl = L.control.layers(base, overlays, options).addTo(map);
    return map.caLayerControl;
  }

  /* --- analysis results (a corridor buffer, a route): shown by a call, not built into the map --- */

  var ANALYSIS_PANE = "caAnalysis";

  /* Show exactly ``items`` as the map's analysis results: each ``{key, title, legend, style, radius,
     data}`` (``title`` and ``legend`` escaped on the server). One whose key is already shown stays as
     it is (switched off in the layer control, it stays off); one no longer listed leaves the map, the
     layer control and the legend. They draw in a pane under the layers and over the basemap. */
  function analysis(map, items) {
    var shown = map.caAnalysis || (map.caAnalysis = {}), wanted = {};
    if (!map.getPane(ANALYSIS_PANE)) { map.createPane(ANALYSIS_PANE).style.zIndex = 390; }
    items.forEach(function (item) { wanted[item.key] = true; });
    Object.keys(shown).forEach(function (key) {
      if (wanted[key]) { return; }
      var group = shown[key];
      map.removeLayer(group);
      if (map.caLayerControl) { map.caLayerControl.removeLayer(group); }
      if (map.caLegend) { map.caLegend.remove(group); }
      delete shown[key];
    });
    items.forEach(function (item, index) {
      if (shown[item.key]) { return; }
      var drawn = layer(item.data, {style: item.style, radius: item.radius, interactive: true, pane: ANALYSIS_PANE});
      var group = shown[item.key] = L.featureGroup([drawn]).addTo(map);
      if (map.caLayerControl) { map.caLayerControl.addOverlay(group, item.title); }
      if (map.caLegend) { map.caLegend.add({layer: group, html: item.legend}, index); }
    });
  }

  /* How many features a layer draws now (a layer still loading counts as drawing one). */
  function drawnCount(layer) {
    if (layer instanceof L.GeoJSON) { return layer.getLayers().length; }
    if (layer instanceof L.LayerGroup) {
      var children = layer.getLayers();
      if (!children.length) { return 1; }
      return children.reduce(function (sum, child) { return sum + drawnCount(child); }, 0);
    }
    return 1;
  }

  /* A title and subtitle box in the map's top-left corner, with the timeline's year if the view has one
     (all set as text, never as HTML). ``control.set`` changes the words in place (a deck's scenes). */
  function titleBox(map, title, subtitle, stamp) {
    var control = L.control({position: "topleft"}), parts = {};
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "ca-title");
      parts.main = L.DomUtil.create("div", "ca-title-main", div);
      parts.sub = L.DomUtil.create("div", "ca-title-sub", div);
      parts.stamp = L.DomUtil.create("div", "ca-title-stamp", div);
      return div;
    };
    control.set = function (t, s, y) {
      parts.main.textContent = t || "";
      parts.sub.textContent = s || "";
      parts.stamp.textContent = y || "";
      parts.stamp.hidden = !y;
      control.getContainer().hidden = !(t || s || y);
    };
    control.addTo(map);
    control.set(title, subtitle, stamp);
    return control;
  }

  /* Show the layer groups named in ``shown`` and hide those in ``hidden`` (page variables), in place:
     the map keeps its view, and the layer control and legend follow. */
  function showOnly(map, shown, hidden) {
    shown.forEach(function (name) { var g = window[name]; if (g && !map.hasLayer(g)) { map.addLayer(g); } });
    hidden.forEach(function (name) { var g = window[name]; if (g && map.hasLayer(g)) { map.removeLayer(g); } });
  }

  /* --- full detail by zoom (geo/detail.py): the lines of the view at the zoom's level of detail --- */

  /* The Leaflet layer of one detail answer: its lines, each drawn, labelled and described as its feature. */
  function detailLayer(base, answer, pad) {
    var data = base.caData, options = base.caOptions, style = options.style, styled = styler(options);
    var features = geometries(answer.geometry).map(function (geometry, k) {
      var i = answer.features[k];
      return {type: "Feature", geometry: geometry, properties: {id: data.ids[i], i: i}};
    });
    var made = L.geoJSON(features, {
      style: function (feature) { return styled(style, data, feature.properties.i, false); },
      onEachFeature: function (feature, item) { describe(item, data, feature.properties.i, true, true); },
      // Leaflet's own 10 % beyond the view (or less, as far as the answer reaches): every pixel of the
      // canvas is rasterised again after each move, and the answer's wider margin serves pans anyway
      renderer: L.canvas({padding: Math.min(pad, 0.1), pane: options.pane || "overlayPane"}),
      pane: options.pane || "overlayPane"
    });
    return attributed(made, options.attribution);
  }

  /* Whether an answer draws the map's view: the view inside what it covers, at a zoom its level draws. */
  function covers(map, answer) {
    if (!answer || Math.ceil(map.getZoom() - 1e-9) > answer.zoom) { return false; }
    var b = answer.bounds, view = map.getBounds();
    return view.getWest() >= b[0] && view.getSouth() >= b[1] && view.getEast() <= b[2] && view.getNorth() <= b[3];
  }

  /* Show or hide a layer drawn on a canvas of its own by its canvas alone: adding and removing a layer
     of thousands of features would fire an event for each. A hidden canvas also stops following the
     map (its renderer's map events are off), so it costs nothing while the map moves; shown again, it
     projects and draws its features for the current view. Other layers are added or removed. */
  function setShown(group, layer, shown) {
    if (!layer) { return; }
    var renderer = layer.options.renderer;
    if (!(renderer instanceof L.Canvas)) {
      if (shown && !group.hasLayer(layer)) { group.addLayer(layer); }
      if (!shown && group.hasLayer(layer)) { group.removeLayer(layer); }
      return;
    }
    if (!group.hasLayer(layer)) {
      if (shown) { group.addLayer(layer); }  // a canvas of its own, following the map
      return;
    }
    var map = renderer._map;
    if (!map || Boolean(renderer.caHidden) === !shown) { return; }
    renderer.caHidden = !shown;
    renderer._container.style.display = shown ? "" : "none";
    if (shown) {
      map.on(renderer.getEvents(), renderer);
      renderer._reset();
    } else {
      map.off(renderer.getEvents(), renderer);
    }
  }

  /* How long a layer waiting for its detail keeps what it drew before (its last detail) before its
     simplified copy is drawn: most answers come sooner, and drawing the copy would delay them. */
  var WAIT_MS = 250;

  /* In each detailed layer's group: the detail where it covers the view, else the simplified copy; but
     while the view's detail is on its way (for up to WAIT_MS), what is drawn stays as it is: the last
     detail if it is still drawn, the copy if it is, and nothing if a zoom hid the detail (drawing the
     whole copy for a moment would cost more than the detail it waits for). */
  function syncDetail(map) {
    (map.caDetailed || []).forEach(function (group) {
      var state = group.caDetail, useDetail = Boolean(state.layer) && covers(map, state.answer);
      var drawn = Boolean(state.layer) && group.hasLayer(state.layer) && !state.layer.options.renderer.caHidden;
      var waiting = !useDetail && Boolean(state.pending) && performance.now() - state.askedAt < WAIT_MS;
      setShown(group, state.layer, useDetail || (waiting && drawn));
      if (!waiting) { setShown(group, state.base, !useDetail); }
    });
  }

  /* The area to ask detail for: the view and ``pad`` of its width and height beyond each edge (as the
     app's ``detail_request``), with the whole zoom whose level draws it within a pixel. */
  function wantedArea(map, pad) {
    var view = map.getBounds(), west = view.getWest(), south = view.getSouth();
    var east = view.getEast(), north = view.getNorth(), dx = (east - west) * pad, dy = (north - south) * pad;
    var round = function (value) { return Math.round(value * 1e6) / 1e6; };
    return {zoom: Math.min(19, Math.max(0, Math.ceil(map.getZoom() - 1e-9))), bounds: [
      round(Math.max(-180, west - dx)), round(Math.max(-85, south - dy)),
      round(Math.min(180, east + dx)), round(Math.min(85, north + dy))]};
  }

  /* Ask the app's server for a detailed layer's lines around the view (one request at a time per layer:
     a newer move cancels the one under way) and draw them when they come. */
  function fetchDetail(map, group) {
    var state = group.caDetail, wanted = wantedArea(map, state.pad);
    if (state.pending) { state.pending.abort(); }
    var pending = new AbortController(), url = state.url + "?z=" + wanted.zoom + "&bbox=" + wanted.bounds.join(",");
    state.pending = pending;
    state.askedAt = performance.now();
    fetch(url, {signal: pending.signal, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || response.statusText); }
          return body;
        });
      })
      .then(function (answer) {
        if (state.pending !== pending) { return; }
        state.pending = null;
        if (answer && answer.geometry) { place(map, group, answer); }
      })
      .catch(function (err) {
        if (state.pending === pending) { state.pending = null; syncDetail(map); }  // its simplified copy, then
        if (err.name !== "AbortError") { console.error("Corridor Atlas: detail not loaded: " + err.message); }
      });
  }

  /* Draw an answer in its layer's group: the detail replaces the one before once it is on its canvas. */
  function place(map, group, answer) {
    var state = group.caDetail, replaced = state.layer;
    if (state.answer && state.answer.key === answer.key) { return; }
    state.layer = detailLayer(state.base, answer, state.pad);  // added to the group by syncDetail while it covers the view
    state.answer = answer;
    syncDetail(map);
    if (!replaced) { return; }
    setTimeout(function () {  // the old detail goes once the new one is drawn: its canvas with it
      var renderer = replaced.options.renderer;
      if (group.hasLayer(replaced)) { group.removeLayer(replaced); }
      if (renderer._map) { renderer._map.removeLayer(renderer); }
    }, 0);
  }

  /* After a move: ask for the detail a shown layer needs and lacks, then show in each layer what it has
     for the view (and its simplified copy if the detail has not come WAIT_MS later). */
  function onMoved(map) {
    var zoom = Math.ceil(map.getZoom() - 1e-9), asked = false;
    (map.caDetailed || []).forEach(function (group) {
      var state = group.caDetail;
      if (map.hasLayer(group) && zoom >= state.from && !covers(map, state.answer)) {
        fetchDetail(map, group);
        asked = true;
      }
    });
    syncDetail(map);
    if (asked) { setTimeout(function () { syncDetail(map); }, WAIT_MS); }
  }

  /* As the zoom changes (before the layers project their lines for it): a detail that cannot draw the
     new view is hidden now, so it is not projected and drawn again for nothing. */
  function onZoomed(map) {
    (map.caDetailed || []).forEach(function (group) {
      var state = group.caDetail;
      if (state.layer && !covers(map, state.answer)) { setShown(group, state.layer, false); }
    });
  }

  /* Full detail for the large line layers of ``sources``: ``{group, from, url, pad}``, one per detailed
     layer shown (``from``: the zoom from which its simplified copy no longer draws within a pixel; ``url``:
     where the app serves its lines of an area at a zoom). A layer left out is drawn from its simplified copy. */
  function detail(map, sources) {
    var byGroup = {};
    sources.forEach(function (source) { byGroup[source.group] = source; });
    if (!map.caDetailed) {
      map.caDetailed = [];
      map.on("zoom", function () { onZoomed(map); });
      map.on("moveend", function () { onMoved(map); });
    }
    map.caDetailed.forEach(function (group) {  // a layer no longer detailed (filtered, replaced): its copy
      if (byGroup[group.caDetailName]) { return; }
      var state = group.caDetail;
      if (state.pending) { state.pending.abort(); state.pending = null; }
      state.from = Infinity;
      state.answer = null;
    });
    sources.forEach(function (source) {
      var group = window[source.group];
      if (!group) { return; }
      if (!group.caDetail) {
        var base = null;
        group.eachLayer(function (child) { if (child.caData) { base = child; } });
        if (!base) { return; }
        group.caDetail = {base: base, layer: null, answer: null, pending: null};
        group.caDetailName = source.group;
        group.on("add", function () { onMoved(map); });  // switched on again: its canvases exist now
        map.caDetailed.push(group);
      }
      var state = group.caDetail;
      if (state.url !== source.url) {  // another copy of the layer (e.g. filtered): its detail is another
        if (state.pending) { state.pending.abort(); state.pending = null; }
        state.answer = null;
      }
      state.url = source.url;
      state.from = source.from;
      state.pad = source.pad;
    });
    onMoved(map);
  }

  /* The map's own background colour: what shows outside the basemap's extent. */
  function background(map, colour) {
    map.getContainer().style.background = colour;
  }

  window.CorridorAtlas = {
    esc: esc, present: present, detailsHtml: detailsHtml, geometries: geometries, layer: layer, remoteLayer: remoteLayer, popupHtml: popupHtml,
    tooltipHtml: tooltipHtml, legend: legend, background: background, titleBox: titleBox, showOnly: showOnly, detail: detail,
    layerControl: layerControl, analysis: analysis
  };
})();
