#!/usr/bin/env python3
"""Generate the example's typed client from schema.graphql with ariadne-codegen.

    .venv/bin/python examples/python_client/generate.py              # in place (`make client`)
    .venv/bin/python examples/python_client/generate.py --into DIR   # elsewhere: drift check

ariadne-codegen needs graphql-core < 3.3 and Carepath runs on 3.3, so it runs in a venv of
its own, `.venv-codegen`, installed from codegen.lock (hashes checked) when that changes.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = ROOT / ".venv-codegen"
LOCK = HERE / "codegen.lock"
PACKAGE = "carepath_client"


def codegen_venv() -> Path:
    """The codegen venv's ariadne-codegen, installed again whenever codegen.lock changes."""
    stamp = VENV / ".lock-sha256"
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text() != wanted:
        # No pip inside (ensurepip is slow): this interpreter's pip installs into it.
        venv = [sys.executable, "-m", "venv", "--clear", "--without-pip", str(VENV)]
        subprocess.run(venv, check=True)  # noqa: S603 (our own interpreter and paths)
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pip", "--python", VENV / "bin" / "python", "install",
             "--quiet", "--require-hashes", "-r", LOCK],
            check=True,
        )  # fmt: skip
        stamp.write_text(wanted)
    return VENV / "bin" / "ariadne-codegen"


def config_for(target: Path) -> str:
    """pyproject.toml's settings, with absolute paths and `target` as the destination."""
    text = (HERE / "pyproject.toml").read_text(encoding="utf-8")
    replacements = {
        'schema_path = "../../schema.graphql"': f'schema_path = "{ROOT / "schema.graphql"}"',
        'queries_path = "queries.graphql"': f'queries_path = "{HERE / "queries.graphql"}"',
        'target_package_path = "."': f'target_package_path = "{target}"',
    }
    for old, new in replacements.items():
        assert old in text, f"pyproject.toml no longer says {old}"
        text = text.replace(old, new)
    return text


def generate(target: Path) -> Path:
    """Writes `target`/carepath_client/ and returns it."""
    target.mkdir(parents=True, exist_ok=True)
    config = target / "codegen.toml"
    config.write_text(config_for(target), encoding="utf-8")
    try:
        subprocess.run(  # noqa: S603 (the codegen venv we installed)
            [codegen_venv(), "client", "--config", config], check=True, capture_output=True
        )
    finally:
        config.unlink()
    return target / PACKAGE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=HERE, help="where carepath_client/ goes")
    print(f"generated {generate(parser.parse_args().into.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
