"""The map as a planner's workspace, in headless Chromium: size, selection, chooser, labels, styles, timeline,
drawing, dark theme and a phone's screen."""

from __future__ import annotations

import time

import pytest

from layers.catalog import default_catalog
from layers.load import load_layer
from tests.mapframe import MAP_IFRAME

pytestmark = pytest.mark.browser

HALO = "#FFD400"
CATALOG = default_catalog()


def _frame(page):
    """The map's frame (the newest), once its features are registered and the page has settled."""
    page.wait_for_selector(MAP_IFRAME, timeout=60_000)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        frames = [f for f in page.frames if "corridor_atlas_map" in (f.url or "")]
        if frames:
            frame = frames[-1]
            try:
                if frame.evaluate("() => window.CorridorAtlas && Object.keys(CorridorAtlas.registry).length > 50"):
                    page.wait_for_timeout(1000)
                    return frames[-1] if frames[-1] is frame else _frame(page)
            except Exception:
                pass
        page.wait_for_timeout(300)
    raise AssertionError("the map never registered its features")


def _halo_of(frame) -> int:
    """How many selection halos the map draws."""
    return frame.evaluate(
        f"() => Array.from(document.querySelectorAll('.leaflet-ca-halo-pane path'))"
        f".filter(p => (p.getAttribute('stroke') || '').toUpperCase() === '{HALO}' "
        f"|| (p.getAttribute('fill') || '').toUpperCase() === '{HALO}').length"
    )


def _screen_point(page, frame, feature_id: str) -> tuple[float, float]:
    """Where a registered point feature is on the screen."""
    x, y = frame.evaluate(
        "(id) => { const e = CorridorAtlas.registry[id]; const p = window.map.latLngToContainerPoint("
        "e.item.getLatLng()); return [p.x, p.y]; }",
        feature_id,
    )
    box = page.locator(MAP_IFRAME).last.bounding_box()
    return box["x"] + x, box["y"] + y


def _wait_url(page, fragment: str, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if fragment in page.url:
            return page.url
        page.wait_for_timeout(200)  # lets Playwright take the page's events (time.sleep would not)
    raise AssertionError(f"{fragment!r} never reached the URL: {page.url}")


def test_map_fills_three_quarters_of_a_laptop_screen(page, app_url):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(app_url)
    frame = _frame(page)
    box = page.locator(MAP_IFRAME).last.bounding_box()
    assert box["height"] >= 0.75 * 900, box
    assert box["y"] + box["height"] <= 900 + 1, box  # the whole map is on the first screen
    inner = frame.evaluate("() => window.map.getSize().y")
    assert inner >= box["height"] - 2  # the Leaflet map fills its frame
    assert frame.locator(".ca-fullscreen a").count() == 1


def _view_on(layer_id: str, feature_id: str, zoom: float) -> str:
    spot = load_layer(CATALOG.get(layer_id)).geometry.loc[feature_id]
    return f"{spot.y:.4f},{spot.x:.4f},{zoom:g}"


def test_click_selects_with_a_halo_and_a_details_drawer_that_closes(page, app_url):
    feature = "road-crossing-bakhty-baketu"
    page.goto(f"{app_url}/?view={_view_on('crossings', feature, 9)}&layers=lianyungang,crossings")
    frame = _frame(page)
    page.mouse.click(*_screen_point(page, frame, feature))
    drawer = frame.locator(".ca-drawer")
    drawer.locator(".ca-drawer-name").wait_for()
    assert "Bakhty" in drawer.locator(".ca-drawer-name").inner_text()
    assert drawer.locator(".ca-sources li a").count() >= 1  # sources as links
    headings = drawer.locator(".ca-props th").all_inner_texts()
    assert "Location precision" in headings and not any("_" in h for h in headings)  # labels, not raw keys
    assert _halo_of(frame) == 1
    assert f"feature={feature}" in _wait_url(page, "feature=")
    drawer.locator(".ca-drawer-close").click()
    assert drawer.is_hidden() and _halo_of(frame) == 0


def test_search_pick_selects_and_goes_to_the_feature(page, app_url):
    page.goto(f"{app_url}/?view=40.0,100.0,5")
    _frame(page)
    page.get_by_placeholder("Search: Khorgos").fill("Nur Zholy")
    page.get_by_placeholder("Search: Khorgos").press("Enter")
    page.get_by_role("combobox", name="Results").click()
    page.get_by_role("option").first.click()
    _wait_url(page, "feature=")
    frame = _frame(page)
    frame.locator(".ca-drawer-name").wait_for()
    assert "Nur Zholy" in frame.locator(".ca-drawer-name").inner_text()
    page.wait_for_timeout(1500)  # the map flies to it
    assert _halo_of(frame) == 1
    lon = frame.evaluate("() => window.map.getCenter().lng")
    assert 78 < lon < 82  # moved from 100° E to the Khorgos crossing


def test_permalink_opens_with_the_feature_highlighted_and_the_tab_open(page, app_url):
    page.goto(f"{app_url}/?layers=khorgos&view=44.2,80.3,10&feature=khorgos-gateway&tab=Corridor")
    frame = _frame(page)
    frame.locator(".ca-drawer-name").wait_for()
    assert "Gateway" in frame.locator(".ca-drawer-name").inner_text()
    assert _halo_of(frame) == 1
    assert page.get_by_role("tab", name="Corridor").get_attribute("aria-selected") == "true"


def test_a_click_on_stacked_features_offers_a_chooser(page, app_url):
    page.goto(f"{app_url}/?view=43.27,76.93,8&layers=almaty_plant,cities")
    frame = _frame(page)
    assert frame.locator(".ca-stack").count() >= 1  # the stack shows its count
    page.mouse.click(*_screen_point(page, frame, "almaty-pipe-plant"))
    items = frame.locator(".ca-chooser-item")
    items.first.wait_for()
    names = " | ".join(items.all_inner_texts())
    assert "pipe plant" in names and "Almaty · Cities" in names
    items.filter(has_text="Cities").click()
    frame.locator(".ca-drawer-name").wait_for()
    assert frame.locator(".ca-drawer-name").inner_text() == "Almaty"
    assert "feature=city-almaty" in _wait_url(page, "feature=city-almaty")


def test_labels_show_offline_and_follow_the_language_switch(page, app_url):
    page.goto(f"{app_url}/?view=44.0,75.0,5")
    frame = _frame(page)
    countries = frame.locator(".ca-country").all_inner_texts()
    assert any(c.upper() == "KAZAKHSTAN" for c in countries)
    assert frame.locator(".ca-place").count() >= 3 and frame.locator(".ca-label").count() >= 8
    frame.locator(".ca-lang[data-lang='ru']").click()
    page.wait_for_timeout(500)
    assert "Казахстан".upper() in [c.upper() for c in frame.locator(".ca-country").all_inner_texts()]
    assert "lang=ru" in _wait_url(page, "lang=ru")
    outside = [u for u in page.requests if u.startswith("http") and "127.0.0.1" not in u and "localhost" not in u]
    assert outside == []


def test_legend_explains_status_and_precision_styles(page, app_url):
    page.goto(app_url)
    frame = _frame(page)
    styles = frame.locator(".ca-legend-style")
    shown = {styles.nth(i).get_attribute("data-style") for i in range(styles.count())}
    assert {"operating", "under construction", "planned", "schematic", "city-level", "approximate"} <= shown
    # planned lines are drawn dotted, schematic ones thinner than the layer's own weight
    dashes = frame.evaluate(
        "() => Object.values(CorridorAtlas.registry).filter(e => e.data.status && e.data.status[e.i] === 'planned'"
        " && e.item.setStyle && !e.item.getRadius).map(e => e.item.options.dashArray)"
    )
    assert dashes and all(d == "3 6" for d in dashes)


def test_timeline_shows_its_year_on_the_map_and_hides_later_features(page, app_url):
    page.goto(f"{app_url}/?layers=rail_corridors&year=2015")
    frame = _frame(page)
    assert frame.locator(".ca-timeline-year").inner_text() == "As of 2015"
    drawn_2015 = frame.evaluate(
        "() => Object.values(CorridorAtlas.registry).filter(e => e.geo.hasLayer(e.item)).length"
    )
    frame.locator(".ca-timeline-range").fill("2029")
    frame.locator(".ca-timeline-range").dispatch_event("change")
    _wait_url(page, "layers=")
    page.wait_for_timeout(1000)
    drawn_now = frame.evaluate("() => Object.values(CorridorAtlas.registry).filter(e => e.geo.hasLayer(e.item)).length")
    assert drawn_now > drawn_2015
    assert "year=" not in page.url  # the latest year is no filter


def test_a_drawn_line_gets_the_corridor_report(page, app_url):
    page.goto(f"{app_url}/?view=44.0,79.0,7&tab=Corridor")
    frame = _frame(page)
    frame.locator(".leaflet-draw-draw-polyline").click()
    box = page.locator(MAP_IFRAME).last.bounding_box()
    points = [(box["x"] + 300, box["y"] + 400), (box["x"] + 500, box["y"] + 380), (box["x"] + 700, box["y"] + 420)]
    for x, y in points:
        page.mouse.click(x, y)
        page.wait_for_timeout(300)
    page.mouse.click(*points[-1])  # a second click on the last point finishes the line
    sidebar = page.locator("section[data-testid='stSidebar']")
    sidebar.get_by_text("km along the line (geodesic, WGS84)").wait_for(timeout=30_000)
    name = sidebar.get_by_label("Name", exact=True).first
    name.fill("Proposed Zharkent spur")
    name.press("Enter")
    page.wait_for_timeout(2000)
    page.get_by_role("tab", name="Corridor").click()
    page.get_by_role("combobox", name="Corridor").click()
    page.keyboard.type("Zharkent spur")  # the list is long: type to find it, as a user would
    page.get_by_role("option", name="Proposed Zharkent spur").click()
    page.get_by_text("Length per country").wait_for(timeout=30_000)
    page.locator("[data-testid='stMetricLabel']", has_text="Corridor length").first.wait_for(timeout=30_000)
    labels = page.locator("[data-testid='stMetricLabel']").all_inner_texts()
    assert any(label.startswith("Corridor length") for label in labels), labels
    assert page.get_by_text("Kazakhstan").count() >= 1


@pytest.mark.parametrize("scheme", ["dark"])
def test_dark_theme_keeps_the_legend_and_drawer_legible(browser, app_url, scheme):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?feature=khorgos-gateway&view=44.2,80.3,9")
        frame = _frame(page)
        frame.locator(".ca-drawer-name").wait_for()
        assert frame.evaluate("() => window.map.getContainer().classList.contains('ca-dark')")
        for selector in (".ca-legend", ".ca-drawer"):
            fg, bg = frame.evaluate(
                "(s) => { const el = document.querySelector(s); const st = getComputedStyle(el);"
                " return [st.color, st.backgroundColor]; }",
                selector,
            )
            assert _contrast(fg, bg) >= 7, (selector, fg, bg)
    finally:
        context.close()


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_a_phone_keeps_the_map_its_drawer_and_legend_on_screen(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?feature=khorgos-gateway&view=44.2,80.3,8")
        frame = _frame(page)
        frame.locator(".ca-drawer-name").wait_for()
        box = page.locator(MAP_IFRAME).last.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
        width, height = frame.evaluate("() => [window.innerWidth, window.innerHeight]")
        for selector in (".ca-drawer", ".ca-legend", ".ca-timeline", ".leaflet-control-attribution", ".ca-langs"):
            rect = frame.evaluate(
                "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                " return [r.left, r.top, r.right, r.bottom]; }",
                selector,
            )
            assert rect[0] >= 0 and rect[1] >= 0 and rect[2] <= width + 1 and rect[3] <= height + 1, (selector, rect)
        assert frame.locator(".ca-legend.ca-folded").count() == 1  # folded until asked for
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
    finally:
        context.close()
