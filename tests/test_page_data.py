"""The app's own page-data route: a session's sources answer at their URLs, and only while the session keeps them."""

from __future__ import annotations

import gc

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.page_data import PREFIX, Offered, offer, routes


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=routes()))


def _area(query: dict[str, str]) -> dict[str, object]:
    if "bbox" not in query:
        raise ValueError("bbox must be four numbers west,south,east,north; got None")
    return {"asked": query["bbox"], "lines": [[80.0, 42.0], [80.1, 42.05]]}


def test_an_offered_source_answers_the_page_query_as_json(client) -> None:
    kept: Offered = {}
    url = offer(kept, "up_net|feature_group_1", _area)
    assert url.startswith(PREFIX) and len(url) > len(PREFIX) + 16  # a token no other session can guess
    response = client.get(url, params={"z": "12", "bbox": "79,41,80,42"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"asked": "79,41,80,42", "lines": [[80.0, 42.0], [80.1, 42.05]]}


def test_a_wrong_query_is_answered_400_with_what_is_wrong(client) -> None:
    url = offer(kept := {}, "up_net|feature_group_1", _area)
    response = client.get(url, params={"z": "12"})
    assert response.status_code == 400
    assert response.json() == {"error": "bbox must be four numbers west,south,east,north; got None"}
    assert kept  # the session still has it


def test_the_url_stays_while_the_session_keeps_the_name_and_answers_with_the_newest_source(client) -> None:
    kept: Offered = {}
    first = offer(kept, "up_net|feature_group_1", _area)
    again = offer(kept, "up_net|feature_group_1", lambda query: {"filtered": True})
    assert again == first
    assert client.get(first).json() == {"filtered": True}
    assert offer(kept, "up_rail|feature_group_2", _area) != first  # another layer, another URL
    assert offer({}, "up_net|feature_group_1", _area) != first  # another session, another URL


def test_a_source_the_session_no_longer_keeps_is_no_longer_served(client) -> None:
    kept: Offered = {}
    url = offer(kept, "up_net|feature_group_1", _area)
    del kept["up_net|feature_group_1"]  # the layer hidden or removed, or the session ended
    gc.collect()
    response = client.get(url, params={"z": "12", "bbox": "79,41,80,42"})
    assert response.status_code == 404 and "reload the page" in response.json()["error"]
    assert client.get(PREFIX + "not-a-token").status_code == 404


def test_behind_a_base_path_the_route_and_its_urls_are_under_it(monkeypatch) -> None:
    import streamlit as st

    options = {"server.baseUrlPath": "/atlas/"}
    monkeypatch.setattr(st, "get_option", lambda key: options[key])
    client = TestClient(Starlette(routes=routes()))
    url = offer(kept := {}, "up_net|feature_group_1", _area)
    assert url.startswith("/atlas" + PREFIX) and kept
    assert client.get(url, params={"z": "12", "bbox": "79,41,80,42"}).json()["asked"] == "79,41,80,42"
    assert client.get(url.removeprefix("/atlas"), params={"z": "12", "bbox": "79,41,80,42"}).status_code == 404
