#!/usr/bin/env python3
"""Re-fetch GraphiQL's assets from the npm registry and check them against their pins.

    .venv/bin/python scripts/vendor_graphiql.py          # fetch with `npm pack`, check, write
    .venv/bin/python scripts/vendor_graphiql.py --check  # check the vendored files, offline

The pins (package, version, file, SHA-384) live in src/graphiql.py, which the server
also checks at run time; a file whose hash differs is refused, never written.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from carepath.graphiql import ASSETS, Asset, sri

TARGET = Path(__file__).resolve().parent.parent / "src" / "static" / "graphiql"
NOTICE = "THIRD_PARTY_LICENSES.txt"


def npm_pack(package: str, version: str, workdir: Path) -> tarfile.TarFile:
    """The package's tarball from the registry, through npm's own client."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch from the npm registry (apt-get install -y npm)")
    output = subprocess.run(  # noqa: S603 (our own pinned names and versions)
        [npm, "pack", f"{package}@{version}", "--json", "--pack-destination", str(workdir)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    filename = json.loads(output)[0]["filename"]
    return tarfile.open(workdir / filename)


def member(tarball: tarfile.TarFile, path: str) -> bytes | None:
    try:
        extracted = tarball.extractfile(f"package/{path}")
    except KeyError:
        return None
    return extracted.read() if extracted is not None else None


def licence_of(tarball: tarfile.TarFile, package: str, version: str) -> str:
    text = member(tarball, "LICENSE") or member(tarball, "LICENSE.md")
    manifest = json.loads(member(tarball, "package.json") or b"{}")
    heading = f"{package}@{version} ({manifest.get('license', 'see package')})"
    body = text.decode("utf-8").strip() if text else "No licence file in the npm package."
    return f"{heading}\n{'=' * len(heading)}\n{body}\n"


def fetch() -> int:
    notices: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        packed: dict[tuple[str, str], tarfile.TarFile] = {}
        for asset in ASSETS:
            key = (asset.package, asset.version)
            if key not in packed:
                packed[key] = npm_pack(asset.package, asset.version, Path(tmp))
                notices.append(licence_of(packed[key], *key))
            data = member(packed[key], asset.path)
            if data is None or sri(data) != asset.integrity:
                print(f"REFUSED {asset.package}@{asset.version}/{asset.path}", file=sys.stderr)
                return 1
            (TARGET / asset.name).write_bytes(data)
            print(f"ok {asset.name} {asset.integrity}")
    (TARGET / NOTICE).write_text("\n".join(notices), encoding="utf-8")
    return 0


def check() -> int:
    failures = [a for a in ASSETS if not matches(a)]
    for asset in failures:
        print(f"MISMATCH {asset.name}", file=sys.stderr)
    print(f"{len(ASSETS) - len(failures)}/{len(ASSETS)} vendored assets match their pins")
    return 1 if failures else 0


def matches(asset: Asset) -> bool:
    path = TARGET / asset.name
    return path.is_file() and sri(path.read_bytes()) == asset.integrity


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check only, no network")
    return check() if parser.parse_args().check else fetch()


if __name__ == "__main__":
    sys.exit(main())
