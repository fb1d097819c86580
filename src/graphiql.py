"""GraphiQL served by Carepath itself: the page, and its pinned assets from the package.

strawberry's own page loads React and GraphiQL from a CDN, a blank page on a closed
network. Here every asset ships in the package (src/static/graphiql/, vendored from the
npm registry by scripts/vendor_graphiql.py) and is checked against its SHA-384 twice:
when loaded here, and by the browser through the page's `integrity` attributes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

STATIC_PATH = "/graphql/static"
IMMUTABLE = "public, max-age=31536000, immutable"  # versioned names: a new version, a new URL


@dataclass(frozen=True)
class Asset:
    """One vendored file: where it came from in the npm registry, and its SRI hash."""

    name: str  # the file under src/static/graphiql/, versioned
    package: str
    version: str
    path: str  # inside the npm tarball's package/ folder
    integrity: str  # "sha384-<base64>", as strawberry's page pins it

    @property
    def is_script(self) -> bool:
        return self.name.endswith(".js")


# The versions and hashes of strawberry 0.341's page (strawberry/static/graphiql.html),
# without js-cookie, which that page needs only for Django's CSRF cookie.
ASSETS: tuple[Asset, ...] = (
    Asset(
        "react-18.2.0.production.min.js", "react", "18.2.0", "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    Asset(
        "react-dom-18.2.0.production.min.js", "react-dom", "18.2.0",
        "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    Asset(
        "graphiql-3.8.3.min.css", "graphiql", "3.8.3", "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    Asset(
        "plugin-explorer-1.0.2.css", "@graphiql/plugin-explorer", "1.0.2", "dist/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    ),
    Asset(
        "graphiql-3.8.3.min.js", "graphiql", "3.8.3", "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    Asset(
        "plugin-explorer-1.0.2.umd.js", "@graphiql/plugin-explorer", "1.0.2",
        "dist/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    ),
)  # fmt: skip
VENDORED = {asset.name: asset for asset in ASSETS}
PAGE_SCRIPT = "carepath-graphiql.js"  # ours: the fetcher, the default query and headers


class AssetTampered(RuntimeError):
    """A vendored file does not match its pinned hash: serve nothing rather than it."""


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _read(name: str) -> bytes:
    return resources.files("carepath").joinpath("static", "graphiql", name).read_bytes()


@cache
def asset_bytes(name: str) -> bytes:
    """A vendored file's bytes, read once and checked against its pinned hash."""
    data = _read(name)
    if name in VENDORED and sri(data) != VENDORED[name].integrity:
        raise AssetTampered(f"{name} does not match its pinned SHA-384")
    return data


@cache
def page_html() -> str:
    """Our template with a tag per asset, each carrying its integrity hash."""
    head, body = [], []
    for asset in ASSETS:
        url = f"{STATIC_PATH}/{asset.name}"
        if asset.is_script:
            body.append(f'<script src="{url}" integrity="{asset.integrity}"></script>')
        else:
            head.append(f'<link rel="stylesheet" href="{url}" integrity="{asset.integrity}">')
    own = f"{STATIC_PATH}/{PAGE_SCRIPT}"
    body.append(f'<script src="{own}" integrity="{sri(asset_bytes(PAGE_SCRIPT))}"></script>')
    template = _read("page.html").decode("utf-8")
    return template.replace("<!--STYLES-->", "\n    ".join(head)).replace(
        "<!--SCRIPTS-->", "\n    ".join(body)
    )


def content_security_policy(request: Request) -> str:
    """Nothing but this server: scripts and styles from it, queries and sockets to it."""
    host = request.url.netloc
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",  # GraphiQL sets element styles
            "img-src 'self' data:",
            "font-src data:",  # graphiql.min.css inlines its fonts
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def render_page(request: Request) -> Response:
    return HTMLResponse(
        page_html(),
        headers={
            "Content-Security-Policy": content_security_policy(request),
            "Cache-Control": "no-cache",
        },
    )


async def static_asset(request: Request) -> Response:
    """Only the listed files: vendored ones cached for a year, our script revalidated."""
    name = request.path_params["name"]
    if name not in VENDORED and name != PAGE_SCRIPT:
        return PlainTextResponse("Not found.", status_code=404)
    media_type = "text/javascript" if name.endswith(".js") else "text/css"
    cache_control = IMMUTABLE if name in VENDORED else "no-cache"
    return Response(
        asset_bytes(name),
        media_type=f"{media_type}; charset=utf-8",
        headers={"Cache-Control": cache_control},
    )
