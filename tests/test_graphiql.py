"""GraphiQL's page and assets come from Carepath itself, pinned by hash; `/` leads to it;
production serves none of it. (The page in a real offline browser: test_graphiql_offline.)"""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from carepath.graphiql import ASSETS, sri
from carepath.settings import Settings
from tests.security.conftest import app_with, client_of

HEADER_EXAMPLE = '{"Authorization": "Bearer <token from logIn>"}'
PAGE = {"Accept": "text/html"}


async def test_the_root_redirects_to_graphiql(http: httpx.AsyncClient) -> None:
    response = await http.get("/")
    assert response.status_code == 307 and response.headers["location"] == "/graphql"


async def test_the_page_loads_every_asset_from_this_server_with_its_hash(
    http: httpx.AsyncClient,
) -> None:
    page = (await http.get("/graphql", headers=PAGE)).text
    tags = re.findall(
        r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"[^>]*?integrity="([^"]+)"', page
    )
    assert {url for url, _ in tags} >= {f"/graphql/static/{a.name}" for a in ASSETS}
    assert "https://" not in page and "http://" not in page
    for url, integrity in tags:
        response = await http.get(url)
        assert response.status_code == 200, url
        assert sri(response.content) == integrity, url


async def test_vendored_assets_are_the_pinned_versions_and_cached_for_a_year(
    http: httpx.AsyncClient,
) -> None:
    for asset in ASSETS:
        response = await http.get(f"/graphql/static/{asset.name}")
        assert sri(response.content) == asset.integrity, asset.name
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.version in asset.name  # a new version is a new URL


async def test_the_page_opens_with_an_example_of_the_authorization_header(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/graphql", headers=PAGE)
    script = re.search(r'src="(/graphql/static/carepath-graphiql\.js)"', page.text)
    assert script is not None
    source = (await http.get(script.group(1))).text
    assert f"#      {HEADER_EXAMPLE}" in source  # a comment in the query editor
    assert "shouldPersistHeaders: false" in source  # tokens stay out of localStorage


async def test_the_page_may_talk_to_this_server_only(http: httpx.AsyncClient) -> None:
    policy = (await http.get("/graphql", headers=PAGE)).headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self' ws://testserver wss://testserver" in policy


async def test_only_the_listed_files_are_served(http: httpx.AsyncClient) -> None:
    for name in ("page.html", "THIRD_PARTY_LICENSES.txt", "..%2Fapp.py", "nothing.js"):
        assert (await http.get(f"/graphql/static/{name}")).status_code == 404, name


async def test_production_serves_no_graphiql_and_no_redirect(
    app: Starlette, settings: Settings
) -> None:
    async with client_of(app_with(settings, env="production")) as production:
        assert (await production.http.get("/graphql", headers=PAGE)).status_code == 405
        assert (await production.http.get("/")).status_code == 404
        static = await production.http.get(f"/graphql/static/{ASSETS[0].name}")
        assert static.status_code == 404


def test_the_start_up_line_says_where_graphiql_and_subscriptions_are(settings: Settings) -> None:
    from carepath.app import ready_line

    line = ready_line(settings, graphiql=True)
    assert "Carepath ready: GraphiQL at https://api.carepath.test/graphql" in line
    assert "subscriptions at wss://api.carepath.test/graphql" in line
    assert "no GraphiQL" in ready_line(settings, graphiql=False)
