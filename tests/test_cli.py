"""The command line: every remote command through click's runner against a real server,
once as a real ``upnext`` process, and docs/cli.md kept equal to the --help output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from tests.client.conftest import ADMIN_KEY, Live, live_server
from tests.factories import make_item
from upnext.cli import main

DOCS = Path(__file__).parent.parent / "docs" / "cli.md"
HEADER = """# Command line

Every command's `--help`, as the code prints it (`tests/test_cli.py` checks that this file
matches; regenerate it with `UPNEXT_WRITE_CLI_DOCS=1 pytest tests/test_cli.py -k docs`).

The remote commands (`admin`, `items`, `session`) call a running server through the Python
SDK. They take the server's URL from `--url` or `UPNEXT_URL`, the key (`key_id:secret`) from
`--key` or `UPNEXT_KEY`, print tables for people and JSON with `--json`, and exit with status
1 and the server's problem (`404 item_not_found: ...`, one line per invalid field) on error.
"""


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from command_paths(command.commands[name], (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="upnext", terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def render_docs() -> str:
    sections = [HEADER]
    for path in command_paths(main):
        title = " ".join(("upnext", *path))
        sections.append(f"## {title}\n\n```text\n{help_text(path).rstrip()}\n```\n")
    return "\n".join(sections)


def test_docs_match_the_help_output() -> None:
    rendered = render_docs()
    if os.environ.get("UPNEXT_WRITE_CLI_DOCS"):
        DOCS.write_text(rendered)
    assert DOCS.read_text() == rendered, (
        "docs/cli.md is out of date: UPNEXT_WRITE_CLI_DOCS=1 pytest tests/test_cli.py -k docs"
    )


def test_a_key_needs_exactly_one_owner() -> None:
    result = CliRunner().invoke(main, ["admin", "key", "create", "--platform", "P", "--app", "A"])
    assert result.exit_code == 2
    assert "exactly one of --platform or --app" in result.output


def test_an_unreachable_server_is_a_message_not_a_traceback() -> None:
    result = CliRunner().invoke(
        main, ["admin", "app", "create", "X", "--url", "http://127.0.0.1:9", "--key", "KY1:s"]
    )
    assert result.exit_code == 1
    assert "connection failed" in result.output


@pytest.fixture
def live(database_url: str) -> Iterator[Live]:
    with live_server(database_url) as running:
        yield running


class Cli:
    """Runs commands through click's runner against a live server with one key."""

    def __init__(self, live: Live, key: str) -> None:
        self.env = {"UPNEXT_URL": live.url, "UPNEXT_KEY": key}

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=self.env, input=input)
        assert result.exit_code == code, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").output)


@pytest.mark.slow
def test_an_operator_does_every_admin_task(live: Live) -> None:
    admin = Cli(live, ADMIN_KEY)
    platform = admin.json("admin", "platform", "create", "Acme TV")
    assert platform["platform_id"].startswith("PL") and platform["name"] == "Acme TV"
    app = admin.json("admin", "app", "create", "Flix")
    table = admin("admin", "app", "create", "Tube").output
    assert table.splitlines()[0].split() == ["field", "value"] and "Tube" in table

    platforms = admin("admin", "platform", "list").output.splitlines()
    assert platforms[0].split() == ["platform_id", "name", "created_at"]
    assert "Acme TV" in platforms[1]
    assert [a["name"] for a in admin.json("admin", "app", "list")] == ["Tube", "Flix"]

    key = admin.json("admin", "key", "create", "--app", app["app_id"])
    assert key["role"] == "publisher" and key["app_id"] == app["app_id"]
    shown = admin("admin", "key", "create", "--platform", platform["platform_id"]).output
    assert "UPNEXT_KEY=KY" in shown and "not shown again" in shown

    publisher = Cli(live, f"{key['key_id']}:{key['secret']}")
    publisher("items", "put", "ctx", json.dumps(make_item()))  # the key works ...
    revoked = admin("admin", "key", "revoke", key["key_id"]).output
    assert revoked.strip() == f"revoked {key['key_id']}"
    [listed] = admin.json("admin", "key", "list", "--app", app["app_id"])
    assert listed["key_id"] == key["key_id"] and "revoked_at" in listed
    keys = admin("admin", "key", "list").output
    assert "admin" in keys and "platform" in keys and key["key_id"] in keys
    failed = publisher("items", "list", "ctx", code=1).output  # ... and now it does not
    assert "401 unauthorized" in failed

    missing = admin("admin", "key", "revoke", "KY999999999999999999", code=1).output
    assert "404" in missing
    invalid = admin("admin", "app", "create", "", code=1).output
    assert "422 validation_failed" in invalid and "  name:" in invalid


@pytest.mark.slow
def test_a_publisher_and_a_platform_manage_items_and_read_a_session(
    live: Live, tmp_path: Path
) -> None:
    admin = Cli(live, ADMIN_KEY)
    platform = admin.json("admin", "platform", "create", "Acme TV")
    app = admin.json("admin", "app", "create", "Flix")
    pkey = admin.json("admin", "key", "create", "--platform", platform["platform_id"])
    akey = admin.json("admin", "key", "create", "--app", app["app_id"])
    publisher = Cli(live, f"{akey['key_id']}:{akey['secret']}")
    tv = Cli(live, f"{pkey['key_id']}:{pkey['secret']}")

    first = make_item(content_id="ep1", title="The Colt", season=2, episode=3, position=654)
    publisher("items", "put", "ctx", json.dumps(first))
    second = tmp_path / "item.json"
    second.write_text(json.dumps(make_item(content_id="ep2", title="Lassie", hidden=True)))
    publisher("items", "put", "ctx", str(second))
    done = publisher("items", "put", "ctx", "-", input=json.dumps(make_item(content_id="m1")))
    assert done.output.strip() == "put m1 in ctx"

    listed = publisher.json("items", "list", "ctx")
    assert [i["content_id"] for i in listed] == ["m1", "ep2", "ep1"]
    table = publisher("items", "list", "ctx").output.splitlines()
    assert table[0].split() == [
        "updated_at", "content_id", "action", "title", "episode", "watched", "hidden"
    ]  # fmt: skip
    assert "S2E3" in table[3] and "654/1308s" in table[3] and "The Colt" in table[3]
    assert table[2].rstrip().endswith("hidden")

    old = json.dumps({**first, "event_time": "2020-01-01T00:00:00Z"})
    assert publisher("items", "put", "ctx", old).output.startswith("put ep1")
    older = json.dumps({**first, "event_time": "2019-01-01T00:00:00Z"})
    assert publisher("items", "put", "ctx", older).output.startswith("ignored ep1")

    bad = publisher("items", "put", "ctx", json.dumps({**first, "duration": -1}), code=1)
    assert "422" in bad.output and "  duration:" in bad.output
    assert publisher("items", "put", "ctx", "{nope", code=2).output.count("not JSON") == 1
    publisher("items", "put", "ctx", str(tmp_path / "absent.json"), code=2)

    live.client(f"{akey['key_id']}:{akey['secret']}").set_avail(
        app["app_id"], platform["platform_id"]
    )
    live.client(f"{pkey['key_id']}:{pkey['secret']}").attach_context("den", app["app_id"], "ctx")
    shown = tv("session", "show", "den").output
    assert shown.splitlines()[0].split()[:2] == ["app_id", "updated_at"]
    assert "3 items" in shown and "The Colt" in shown
    assert [i["content_id"] for i in tv.json("session", "show", "den")] == ["ep1", "m1", "ep2"]
    as_operator = admin.json("session", "show", "den", "--platform", platform["platform_id"])
    assert len(as_operator) == 3

    assert publisher("items", "delete", "ctx", "ep1").output.strip() == "deleted ep1 from ctx"
    gone = publisher("items", "delete", "ctx", "ep1", code=1).output
    assert "404 item_not_found" in gone
    assert "404" in tv("session", "show", "nowhere", code=1).output


@pytest.mark.slow
def test_the_real_executable_against_a_live_server(live: Live) -> None:
    env = {**os.environ, "UPNEXT_URL": live.url, "UPNEXT_KEY": ADMIN_KEY}
    command = [sys.executable, "-m", "upnext", "admin", "platform", "create", "Acme", "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "Acme"
    command = [sys.executable, "-m", "upnext", "admin", "key", "revoke", "KY1", "--key", "KY1:x"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "401" in done.stderr
