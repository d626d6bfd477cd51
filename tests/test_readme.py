"""The README stays true: its walkthrough runs verbatim, and every setting is documented."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests import servers
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET
from upnext.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_the_first_lines_give_the_two_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert commands == ["make run", "make test"]


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`UPNEXT_{name.upper()}`" in README, name


@pytest.mark.slow
def test_walkthrough_runs_verbatim(database_url: str) -> None:
    script = README.split("<!-- walkthrough:", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    admin = f"{ADMIN_KEY_ID}:{ADMIN_SECRET}"
    env = {"UPNEXT_DATABASE_URL": database_url, "UPNEXT_ADMIN_KEY": admin}
    with servers.running(env) as server:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "UPNEXT": server.base_url, "ADMIN": admin},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    bodies = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    attached = next(b for b in bodies if "session_id" in b)
    assert attached["session_id"] == "tv-user-7" and attached["context_id"].startswith("CX")
    codes = [b["code"] for b in bodies if "code" in b]
    assert codes == ["handoff_token_invalid", "handoff_required"]
    session_list = next(b for b in bodies if "total" in b and "platform_data" in str(b))
    assert session_list["total"] == 2
    assert [i["content_id"] for i in session_list["items"]] == ["big-movie", "lassie-s1e3"]
    publisher_list = bodies[-1]
    hidden = {i["content_id"]: i["hidden"] for i in publisher_list["items"]}
    assert hidden == {"big-movie": True, "lassie-s1e3": False}
