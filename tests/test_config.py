"""Settings: defaults, both file locations, and errors that name the key, file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.config import SCHEMA, ConfigError, document, load_config
from tests.conftest import write


def test_defaults_without_any_file(project: Path) -> None:
    cfg = load_config(project)
    assert cfg.path is None
    assert cfg.get("validation.test-command") == "python -m pytest -q"
    assert cfg.get("max-file-size") == 2_000_000
    assert cfg.section("policy.rules") == []


def test_kaizen_toml(project: Path) -> None:
    write(project, {"kaizen.toml": """
select = ["KZ1", "KZ2"]
ignore = "KZ105"

[per-file-ignores]
"tests/*" = ["KZ101"]

[validation]
timeout = 30

[[policy.rules]]
name = "safe fixes in src"
paths = ["src/**"]
"""})
    cfg = load_config(project)
    assert cfg.get("select") == ["KZ1", "KZ2"]
    assert cfg.get("ignore") == ["KZ105"]
    assert cfg.get("per-file-ignores") == {"tests/*": ["KZ101"]}
    assert cfg.get("validation.timeout") == 30.0
    rule = cfg.section("policy.rules")[0]
    assert rule["name"] == "safe fixes in src" and rule["applicability"] == ["safe"]


def test_pyproject_tool_table(project: Path) -> None:
    write(project, {"pyproject.toml": "[project]\nname='x'\n\n[tool.kaizen.thresholds]\ncomplexity = 20\n"})
    cfg = load_config(project)
    assert cfg.get("thresholds.complexity") == 20
    assert cfg.path == project / "pyproject.toml"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("select = ['KZ']\nbogus = 1\n", "unknown key 'bogus'", 2),
        ("[validation]\n\ntimeout = 'soon'\n", "'validation.timeout' must be a number", 3),
        ("[thresholds]\ncomplexity = 0\n", "at least 1", 2),
        ("[git]\nmode = 'push'\n", "must be one of off, stage, commit", 2),
        ("[nonsense]\nx = 1\n", "unknown section 'nonsense'", 1),
        ("[[policy.rules]]\ncodes = ['KZ1*']\n", "needs 'name'", 1),
        ("select = [\n", "invalid TOML", 1),
        ("[[policy.rules]]\nname='a'\n[[policy.rules]]\nname='a'\n", "duplicate rule name", 2),
    ],
)
def test_errors_name_key_file_and_line(project: Path, text: str, message: str, line: int) -> None:
    write(project, {"kaizen.toml": text})
    with pytest.raises(ConfigError) as err:
        load_config(project)
    assert message in str(err.value)
    assert str(project / "kaizen.toml") in str(err.value)
    assert err.value.line == line


def test_pyproject_errors_use_the_tool_prefix(project: Path) -> None:
    write(project, {"pyproject.toml": "[tool.kaizen]\nselct = ['KZ']\n"})
    with pytest.raises(ConfigError, match=r"pyproject.toml:2: unknown key 'tool.kaizen.selct'"):
        load_config(project)


def test_not_utf8_config(project: Path) -> None:
    write(project, {"kaizen.toml": b"select = ['\xff']\n"})
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(project)


def test_every_option_is_documented() -> None:
    doc = document()
    for section in SCHEMA:
        for option in section.options:
            assert option.description
            assert f"`{option.name}`" in doc


@pytest.mark.parametrize("text", ["[validation]\ntimeout = nan\n", "[llm]\ntimeout = inf\n",
                                  "[policy]\nrules = [1]\n", "x = " + "[" * 50_000 + "]" * 50_000 + "\n",
                                  '[validation]\ntest-command = "a\\u0000b"\n'])
def test_values_no_check_foresaw_are_one_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "kaizen.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "kaizen.toml" in str(info.value) and "\n" not in str(info.value)
