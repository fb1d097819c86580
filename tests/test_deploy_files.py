"""The Dockerfile and compose.yaml stay honest: every variable they give Carepath is one
that load_settings reads, and they run what the package provides."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from carepath.cli import parser
from carepath.settings import environment_variables

ROOT = Path(__file__).resolve().parent.parent
PYTHONS_OWN = re.compile(r"^(PYTHON|PIP_)")  # the interpreter's and pip's, not ours


def dockerfile_variables(text: str) -> set[str]:
    """Names set by ENV instructions (continuation lines joined), `KEY=value` form."""
    joined = text.replace("\\\n", " ")
    names: set[str] = set()
    for line in joined.splitlines():
        if line.strip().upper().startswith("ENV "):
            names |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", line))
    return {n for n in names if not PYTHONS_OWN.match(n)}


def carepath_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run Carepath: built from this repository."""
    return {name: s for name, s in compose["services"].items() if "build" in s}


def test_settings_report_every_variable_their_source_names() -> None:
    source = ast.parse((ROOT / "src" / "settings.py").read_text(encoding="utf-8"))
    named = {
        node.value
        for node in ast.walk(source)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|HOST|PORT", node.value)
    }
    assert named <= environment_variables() | {"DEV_SECRET_KEY"}
    assert {"DATABASE_URL", "SECRET_KEY", "HOST", "REDIS_URL"} <= environment_variables()


def test_the_dockerfile_sets_only_variables_that_settings_read() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile_variables(text) == {"CAREPATH_ENV", "HOST", "PORT"}
    assert dockerfile_variables(text) <= environment_variables()
    assert re.search(r"^USER carepath$", text, re.MULTILINE), "the image runs as non-root"
    assert 'CMD ["carepath", "serve"]' in text


def test_compose_gives_carepath_only_variables_that_settings_read() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = carepath_services(compose)
    assert set(services) == {"api", "worker"}
    assert {"postgres", "redis"} <= set(compose["services"])
    for name, service in services.items():
        unknown = set(service["environment"]) - environment_variables()
        assert unknown == set(), f"{name} sets variables Carepath never reads: {unknown}"
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["REDIS_URL"].startswith("redis://")


def test_compose_runs_commands_the_cli_has() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    commands = {s["command"][1] for s in carepath_services(compose).values()}
    assert commands == {"serve", "worker"}
    for command in commands:
        assert parser().parse_args([command]).command == command


def test_the_detector_catches_an_unknown_variable() -> None:
    assert dockerfile_variables("ENV CAREPATH_ENV=production \\\n    DATABSE_URL=x\n") == {
        "CAREPATH_ENV",
        "DATABSE_URL",
    }


def _pinned(requirement: str) -> tuple[str, str]:
    name, _, version = requirement.split(";")[0].strip().rstrip("\\ ").partition("==")
    return name.split("[")[0].strip().lower().replace("_", "-"), version.strip()


def test_the_lock_files_hold_every_pinned_dependency_at_its_pin() -> None:
    """`make install` installs the lock, then Carepath without resolving again: a
    dependency added to pyproject.toml but not locked would be missing on a new machine."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locks = {
        "requirements.lock": project["dependencies"],
        "requirements-dev.lock": project["dependencies"] + project["optional-dependencies"]["dev"],
    }
    for lock_name, wanted in locks.items():
        locked = dict(
            _pinned(line)
            for line in (ROOT / lock_name).read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))
        )
        for requirement in wanted:
            name, version = _pinned(requirement)
            assert locked.get(name) == version, f"{lock_name}: {name}=={version}: run make lock"
