"""docs/sdk.md stays true: its code parses and its method table names every method."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from tests.client.conftest import ADMIN_KEY, Live
from upnext.client import UpNextClient

SDK_DOCS = (Path(__file__).parents[2] / "docs" / "sdk.md").read_text()


def test_every_python_example_parses() -> None:
    blocks = re.findall(r"```python\n(.*?)```", SDK_DOCS, flags=re.DOTALL)
    assert len(blocks) >= 4
    for block in blocks:
        ast.parse(block)


def test_the_method_table_lists_every_method() -> None:
    table = SDK_DOCS.split("## Methods", 1)[1]
    documented = set(re.findall(r"`(\w+)`", table))
    methods = {
        name
        for name, _ in inspect.getmembers(UpNextClient, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    }
    assert documented == methods


@pytest.mark.slow
def test_the_dozen_line_publisher_example_works(live: Live) -> None:
    admin = live.client(ADMIN_KEY)
    key = admin.create_app_key(admin.create_app("Flix").app_id).credentials
    [example] = [
        b for b in re.findall(r"```python\n(.*?)```", SDK_DOCS, re.DOTALL) if "Playback" in b
    ]
    example = example.replace('"https://upnext.example.com"', repr(live.url))
    example = example.replace('"KY463772054442217472:secret"', repr(key))
    assert len(example.strip().splitlines()) <= 16
    names: dict[str, Any] = {}
    exec(example, names)  # noqa: S102 - our own documentation, run as a reader would
    client = names["client"]
    try:
        row = [(i.content_id, i.action, i.position) for i in client.iter_context("user-42")]
        assert row == [("colt-s1e1", "up_next_continue", 1200)]
    finally:
        client.close()
