"""Several app servers, one PostGIS: the README's nginx block, as written, in front of two app processes.

A workspace is saved through the load balancer in Chromium, opened in a new browser session through
it, and opened on each replica directly. The upload in the middle only works if nginx keeps a
browser on one replica (Streamlit takes an upload in the process that holds the session).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, database_for, running_app
from tests.pg_server import free_port
from tests.workspace_pages import SIDEBAR, save_with_an_upload

pytestmark = pytest.mark.browser


def readme_nginx_block() -> str:
    """The nginx block of the README's "Several app servers" section, as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Several app servers, one database") :]
    block = re.search(r"```nginx\n(.*?)```", section, flags=re.DOTALL)
    assert block, "the README shows no nginx block for replicas"
    return block.group(1)


def _nginx_config(folder: Path, port: int, upstreams: list[str]) -> Path:
    block = readme_nginx_block()
    servers = "".join(f"    server {url.removeprefix('http://')};\n" for url in upstreams)
    block, count = re.subn(r"(    server 127\.0\.0\.1:\d+;\n)+", servers, block)
    assert count == 1, "the README's upstream should list its replicas one per line"
    block = block.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        + f"events {{}}\nhttp {{\n    access_log {folder / 'access.log'};\n    {temp}\n{block}}}\n"
    )
    return config


@pytest.fixture
def balanced(request, tmp_path) -> Iterator[tuple[str, list[str]]]:
    """nginx on a free port in front of two app servers on one PostGIS database; its URL and the replicas'."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx not found; CI must install Debian's nginx-light package")
        pytest.skip("nginx not found (apt-get install nginx-light)")
    database = database_for(request, "postgis", tmp_path)
    env = {**database.env, "STREAMLIT_SERVER_COOKIE_SECRET": "replicas-test-secret-shared-by-both"}
    with running_app(tmp_path, env) as first, running_app(tmp_path, env) as second:
        port = free_port()
        config = _nginx_config(tmp_path, port, [first, second])
        with (tmp_path / "nginx.out").open("w") as out:
            proc = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"], stdout=out, stderr=out)
            time.sleep(0.5)
            if proc.poll() is not None:
                pytest.fail(f"nginx did not start with the README's block: {(tmp_path / 'nginx.out').read_text()}")
            try:
                yield f"http://127.0.0.1:{port}", [first, second]
            finally:
                proc.terminate()
                proc.wait(timeout=20)


def test_replicas__a_workspace_saved_through_nginx_opens_through_it_and_on_every_replica(balanced, browser, tmp_path):
    front, replicas = balanced
    saved = save_with_an_upload(browser, front, tmp_path, "Through nginx")  # the upload needs a sticky session
    edit_link, view_link = saved.edit_link, saved.view_link
    assert edit_link.startswith((f"{front}/?ws=", f"{front}?ws="))  # the links name the load balancer
    assert any(cookie["name"] == "atlas_replica" for cookie in saved.cookies)

    for url in (edit_link, *(view_link.replace(front, replica) for replica in replicas)):
        context = browser.new_context(viewport={"width": 1400, "height": 900})  # a new browser session
        again = context.new_page()
        again.goto(url)
        again.locator(SIDEBAR).get_by_text("depots.geojson (1)").wait_for(timeout=90_000)
        again.locator(SIDEBAR).get_by_text(re.compile(r"Through nginx")).first.wait_for(timeout=30_000)
        context.close()
