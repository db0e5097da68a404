"""The dependency rule: streamlit_app.py → app/ → layers/ → geo/, checked in a fresh interpreter."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> list[str]:
    return [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(ROOT / package)])]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return {line.split(".")[0] for line in out.stdout.splitlines()}


def test_geo__imports_neither_folium_nor_streamlit():
    loaded = _loaded_after_import(_modules("geo"))
    assert "geo" in loaded
    assert not {"folium", "branca", "streamlit", "layers", "app"} & loaded


def test_layers__does_not_import_streamlit():
    loaded = _loaded_after_import(_modules("layers"))
    assert "folium" in loaded
    assert "streamlit" not in loaded and "streamlit_folium" not in loaded and "app" not in loaded


def test_streamlit_app__is_only_the_entry_point():
    """Streamlit reruns the script on every interaction; the page lives in app/, imported once per process.

    Imported by the server (not as ``__main__``), the module is the server's app with the atlas's routes.
    """
    body = ast.parse((ROOT / "streamlit_app.py").read_text()).body
    assert ast.get_docstring(ast.Module(body=body, type_ignores=[]))
    assert ast.unparse(body[1]) == "import streamlit as st"
    branch = body[2]
    assert isinstance(branch, ast.If) and ast.unparse(branch.test) == "__name__ == '__main__'" and len(body) == 3
    assert [ast.unparse(node) for node in branch.body[:1]] == ["from app.opening import opened"]
    opening = branch.body[1]
    assert isinstance(opening, ast.If) and ast.unparse(opening.test) == "not opened()" and not opening.orelse
    assert [ast.unparse(node) for node in opening.body] == ["from app.main import main", "main()"]
    assert [ast.unparse(node) for node in branch.orelse] == [
        "from app.server import lifespan, middleware, routes",
        "app = st.App(__file__, routes=routes(), lifespan=lifespan, middleware=middleware())",
    ]


@pytest.mark.parametrize("package", ["geo", "layers", "app"])
def test_modules__stay_small(package):
    for path in (ROOT / package).glob("*.py"):
        code = [line for line in path.read_text().splitlines() if line.strip() and not line.strip().startswith("#")]
        assert len(code) < 400, f"{path.name} has {len(code)} lines of code; split it by role"


def _project_sources() -> dict[str, str]:
    packages = [ROOT / package for package in ("geo", "layers", "app")]
    files = [ROOT / "streamlit_app.py", *(path for package in packages for path in package.glob("*.py"))]
    return {str(path.relative_to(ROOT)): path.read_text() for path in files}


def test_session_state__is_read_and_written_only_through_app_state():
    users = [name for name, text in _project_sources().items() if "st.session_state" in text]
    assert users == ["app/state.py"], users


def test_no_module_reaches_into_folium_or_streamlit_folium_internals():
    """Maps come back from build_map as a public structure; the component is declared by the app itself."""
    for name, text in _project_sources().items():
        assert "._children" not in text and "streamlit_folium._" not in text, name
        assert "import streamlit_folium" not in text, name


def test_browser_code__lives_in_the_page_script_and_the_stylesheet():
    """Python only calls the page script's functions; functions, listeners and style rules live in layers/js and css."""
    for name, text in _project_sources().items():
        assert "function (" not in text and "function(" not in text, name
        assert "<style>" not in text.replace("<style>{", ""), name
    assert (ROOT / "layers" / "js" / "corridor_atlas.js").is_file()
    assert (ROOT / "layers" / "css" / "corridor_atlas.css").is_file()


def test_cold_start__the_app_imports_no_drawing_library_and_no_map_plugins():
    """Starting the app loads neither matplotlib (exports load it) nor folium.plugins (0.4 s and 0.25 s)."""
    import subprocess
    import sys

    heavy = ("matplotlib", "folium.plugins", "streamlit_folium")
    probe = f"import sys, app.main; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
