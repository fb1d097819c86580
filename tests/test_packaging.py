"""The built wheel is the product: installed in a fresh virtual environment over the
locked dependency tree (as the Dockerfile installs it), it exports the schema and serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from carepath.graphiql import ASSETS, sri
from carepath.notifications.mailsink import free_port
from carepath.settings import environment_variables

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path) -> None:
    subprocess.run([str(c) for c in command], cwd=cwd, check=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the venv's bin/) once for the module: a build and an install."""
    work = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", work, cwd=work)
    (wheel,) = work.glob("carepath-*.whl")
    # No pip inside the venv (ensurepip is slow): this pip installs into it.
    run(sys.executable, "-m", "venv", "--without-pip", work / "venv", cwd=work)
    pip = (sys.executable, "-m", "pip", "--python", work / "venv" / "bin" / "python")
    run(*pip, "install", "-q", "--require-hashes", "-r", ROOT / "requirements.lock", cwd=work)
    run(*pip, "install", "-q", "--no-deps", wheel, cwd=work)
    return wheel, work / "venv" / "bin"


def test_the_wheel_holds_every_package_and_its_data(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        "carepath/" + str(p.parent.relative_to(ROOT / "src")) + "/__init__.py"
        for p in (ROOT / "src").rglob("__init__.py")
        if p.parent != ROOT / "src"
    }
    assert packages and packages <= names, packages - names
    assert "carepath/schema/types/__init__.py" in names
    assert {"carepath/py.typed", "carepath/migrations/0001_initial.py"} <= names
    assert {f"carepath/static/graphiql/{a.name}" for a in ASSETS} <= names


def test_the_installed_command_exports_the_schema(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, bin_dir = installed
    run(bin_dir / "carepath", "export-schema", "--output", tmp_path / "out.graphql", cwd=tmp_path)
    exported = (tmp_path / "out.graphql").read_text(encoding="utf-8")
    assert exported == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_the_installed_command_serves(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, bin_dir = installed
    port = free_port()
    own = environment_variables()  # none of the test run's own settings leak in
    env = {k: v for k, v in os.environ.items() if k not in own} | {
        "PORT": str(port),
        "DATABASE_URL": f"sqlite://{tmp_path / 'carepath.db'}",
        "MAIL_DIR": str(tmp_path / "mail"),
        "EMBEDDED_SMTP_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen([bin_dir / "carepath", "serve"], cwd=tmp_path, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_health(base, server), "carepath serve never answered /healthz"
        answer = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=5)
        assert answer.json() == {"data": {"__typename": "Query"}}
        asset = httpx.get(f"{base}/graphql/static/{ASSETS[-1].name}", timeout=5)
        assert sri(asset.content) == ASSETS[-1].integrity
    finally:
        server.terminate()
        server.wait(timeout=15)


def wait_for_health(base: str, server: subprocess.Popen[bytes], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.2)
    return False
