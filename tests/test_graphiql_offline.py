"""GraphiQL in a real browser on a closed network: the page, its assets and a query with
a bearer token, all from Carepath itself.

Needs Debian's Chromium (`apt-get install -y chromium`); skipped when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette

from tests.browser import CHROMIUM, INSTALL_HINT, offline_chromium
from tests.factories import sign_up
from tests.live import in_loop_server
from tests.support import Api

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no {CHROMIUM}: {INSTALL_HINT}")

QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
HEADERS_EDITOR = (
    "document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror')"
)
# The default document holds several operations: its Run button opens a menu to pick one,
# until GraphiQL has parsed the one-operation document the test types in.
ONE_OPERATION_PARSED = "!document.querySelector('.graphiql-execute-button[aria-haspopup]')"
RESULT = "document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue()"


async def test_graphiql_answers_a_query_with_a_token_while_the_cdn_is_unreachable(
    app: Starlette, api: Api, tmp_path: Path
) -> None:
    account = await sign_up(api, "browser@example.com")
    headers = json.dumps({"Authorization": f"Bearer {account.token}"})
    async with in_loop_server(app) as address, offline_chromium(tmp_path / "profile") as page:
        await page.send("Page.navigate", url=f"http://{address}/graphql")
        await page.wait_for(f"!!{QUERY_EDITOR}")
        assert "Authorization" in await page.evaluate(f"{QUERY_EDITOR}.CodeMirror.getValue()")
        await page.evaluate(f"{QUERY_EDITOR}.CodeMirror.setValue('{{ me {{ id }} }}')")
        await page.evaluate(f"{HEADERS_EDITOR}.CodeMirror.setValue({json.dumps(headers)})")
        await page.wait_for(ONE_OPERATION_PARSED)
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        answer = await page.wait_for(RESULT)
        assert json.loads(answer) == {"data": {"me": {"id": account.user_id}}}, answer
        assert page.failed_loads == [] and page.exceptions == []
        fetched = {urlsplit(url).netloc for url in page.requested if not url.startswith("data:")}
        assert fetched == {address}
