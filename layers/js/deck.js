/* Corridor Atlas: a deck of scenes in one page — step through them with the arrow keys or the buttons.
 *
 * Each scene names the layer groups it shows, its bounds, its words (set as text, never as HTML),
 * the timeline's year it was seen at and its selected feature. The page's address keeps the scene
 * (#3), so a link or a reload opens on it. Nothing is fetched: everything is in the page.
 */
(function () {
  "use strict";

  var CA = window.CorridorAtlas;

  function deck(map, scenes) {
    var index = -1, all = [], box = CA.titleBox(map, "", "", "");
    scenes.forEach(function (scene) {
      scene.groups.forEach(function (name) { if (all.indexOf(name) < 0) { all.push(name); } });
    });
    var control = L.control({position: "bottomleft"}), parts = {};
    control.onAdd = function () {
      var bar = L.DomUtil.create("div", "ca-deck leaflet-bar");
      bar.setAttribute("role", "group");
      bar.setAttribute("aria-label", "Scenes");
      parts.prev = L.DomUtil.create("button", "ca-deck-prev", bar);
      parts.prev.type = "button";
      parts.prev.textContent = "\u2190";
      parts.prev.setAttribute("aria-label", "Previous scene");
      parts.count = L.DomUtil.create("span", "ca-deck-count", bar);
      parts.count.setAttribute("aria-live", "polite");
      parts.next = L.DomUtil.create("button", "ca-deck-next", bar);
      parts.next.type = "button";
      parts.next.textContent = "\u2192";
      parts.next.setAttribute("aria-label", "Next scene");
      parts.progress = L.DomUtil.create("div", "ca-deck-progress", bar);
      parts.fill = L.DomUtil.create("div", "ca-deck-fill", parts.progress);
      L.DomEvent.on(parts.prev, "click", function (event) { L.DomEvent.stop(event); show(index - 1); });
      L.DomEvent.on(parts.next, "click", function (event) { L.DomEvent.stop(event); show(index + 1); });
      L.DomEvent.disableClickPropagation(bar);
      return bar;
    };
    control.addTo(map);

    function show(i) {
      i = Math.max(0, Math.min(scenes.length - 1, i));
      if (i === index) { return; }
      index = i;
      var scene = scenes[i];
      CA.showOnly(map, scene.groups, all.filter(function (name) { return scene.groups.indexOf(name) < 0; }));
      map.fitBounds(scene.bounds, {animate: false, padding: [0, 0]});
      box.set(scene.title, scene.subtitle, scene.stamp);
      CA.apply(map, {feature: scene.feature || null, seq: i + 1, year: null, lang: "en", theme: "light"});
      parts.count.textContent = (i + 1) + " / " + scenes.length;
      parts.fill.style.width = (100 * (i + 1) / scenes.length) + "%";
      parts.prev.disabled = i === 0;
      parts.next.disabled = i === scenes.length - 1;
      document.title = scene.title || ("Scene " + (i + 1));
      if (history.replaceState) { history.replaceState(null, "", "#" + (i + 1)); }
      map.fire("ca:scene", {index: i});
    }

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      var step = {ArrowRight: 1, PageDown: 1, " ": 1, ArrowLeft: -1, PageUp: -1}[event.key];
      if (step) { event.preventDefault(); show(index + step); }
      else if (event.key === "Home") { show(0); }
      else if (event.key === "End") { show(scenes.length - 1); }
    });
    var wanted = parseInt((location.hash || "").slice(1), 10);
    show(isFinite(wanted) ? wanted - 1 : 0);
    return {show: show, current: function () { return index; }};
  }

  CA.deck = deck;
})();
