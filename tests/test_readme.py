"""The README's two commands exist, and CI runs the test command exactly as written there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme__has_an_app_command_and_a_test_command_that_set_everything_up():
    commands = _commands()
    app = [c for c in commands if c.endswith("streamlit run streamlit_app.py")]
    tests = [c for c in commands if c.endswith("pytest")]
    assert len(app) == 1 and len(tests) == 1
    for command in (app[0], tests[0]):
        assert command.startswith("python3 -m venv ")
        assert "--locked" in command


def test_ci__runs_the_readme_test_command():
    test_command = next(c for c in _commands() if c.endswith("pytest"))
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme__line_table_says_what_the_data_measures():
    """Every line's published and measured km in the README's Data section is what the committed data gives."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("data_table", ROOT / "scripts" / "data_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.markdown(module.default_catalog())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [row for row in table.splitlines() if row not in readme.splitlines()]
    hint = "README's line table is out of date (uv run python scripts/data_table.py):\n"
    assert not missing, hint + "\n".join(missing)


def _cli_examples() -> tuple[list[str], str]:
    """The README's command-line examples (as written) and its deck file."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**From the command line**") :]
    block = re.search(r"```\n(.*?)```", section, flags=re.DOTALL)
    deck = re.search(r"```toml\n(.*?)```", section, flags=re.DOTALL)
    assert block and deck
    prefix = ".tools/bin/uv run corridor-atlas "
    lines = [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.startswith(prefix)]
    return [line.removeprefix(prefix) for line in lines], deck.group(1)


def test_readme__every_command_line_example_runs_as_written(tmp_path, monkeypatch, capsys):
    import shlex

    from layers.cli import main

    commands, deck = _cli_examples()
    assert len(commands) >= 5 and any(c.startswith("deck ") for c in commands)
    (tmp_path / "deck.toml").write_text(deck, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        assert main(shlex.split(command)) == 0, (command, capsys.readouterr().err)
    made = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    expected = {"maps/pipelines.png", "maps/route.svg", "maps/overview.svg", "maps/route.png", "maps/khorgos.html"}
    assert expected | {"maps/briefing.pptx", "maps/briefing.pdf", "maps/briefing.html"} <= made
