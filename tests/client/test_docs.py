"""docs/sdk.md stays true: its code parses and its method table names every method."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

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
