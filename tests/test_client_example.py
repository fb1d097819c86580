"""The typed client example (examples/python_client) keeps working: it runs the first
journey against a live server, and the committed client is what ariadne-codegen makes of
today's schema.graphql, so a schema change that breaks clients fails here."""

from __future__ import annotations

import asyncio
import filecmp
import subprocess
import sys
from pathlib import Path

from starlette.applications import Starlette

from carepath.models import Appointment, Message, Provider
from tests.live import in_loop_server
from tests.scheduling_steps import a_practice
from tests.support import Api, SmtpServer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "python_client"
CLIENT_ADDRESS = "journey@example.com"


def differences(left: Path, right: Path) -> list[str]:
    """Files that differ, or exist on one side only, in two generated packages."""
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [*compared.left_only, *compared.right_only, *compared.diff_files]
    for name, sub in compared.subdirs.items():
        found += [f"{name}/{f}" for f in differences(Path(sub.left), Path(sub.right))]
    return found


def test_the_committed_client_is_what_the_schema_generates(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, EXAMPLE / "generate.py", "--into", tmp_path], check=True, timeout=300
    )
    changed = differences(EXAMPLE / "carepath_client", tmp_path / "carepath_client")
    assert changed == [], f"run `make client` and commit the example client: {changed}"


def test_the_example_type_checks_against_the_generated_client() -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "journey.py", "generate.py"],
        cwd=EXAMPLE, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout


async def copy_mail(smtp_server: SmtpServer, folder: Path) -> None:
    """Mail that reaches the test's SMTP server lands in `folder` as `.eml` files, as the
    embedded sink of `make serve` stores it."""
    folder.mkdir()  # noqa: ASYNC240 (a test's own temporary folder)
    written = 0
    while True:
        for message in smtp_server.messages[written:]:
            written += 1
            (folder / f"{written:05d}.eml").write_bytes(message.as_bytes())
        await asyncio.sleep(0.05)


async def test_the_example_client_runs_the_first_journey(
    app: Starlette, api: Api, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    practice = await a_practice(api)
    mail = asyncio.create_task(copy_mail(smtp_server, tmp_path / "mail"))
    try:
        async with in_loop_server(app) as address:
            script = await asyncio.create_subprocess_exec(
                sys.executable, str(EXAMPLE / "journey.py"),
                "--url", f"http://{address}/graphql", "--mail-dir", str(tmp_path / "mail"),
                "--booking-slug", practice.slug, "--email", CLIENT_ADDRESS,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(script.communicate(), 120)
    finally:
        mail.cancel()
    assert script.returncode == 0, err.decode()
    made = dict(line.split("\t", 1) for line in out.decode().splitlines())
    assert set(made) == {"user", "appointment", "startsAt", "message", "conversation"}
    appointment = await Appointment.get(client__user__email_key=CLIENT_ADDRESS)
    assert appointment.provider_id == (await Provider.get(booking_slug=practice.slug)).id
    message = await Message.get(conversation__client__user__email_key=CLIENT_ADDRESS)
    assert message.body == "Hello! Looking forward to our first appointment."
