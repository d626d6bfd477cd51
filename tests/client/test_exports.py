"""The SDK's public surface: ``__all__`` lists exactly what the package exports."""

from __future__ import annotations

import subprocess
import sys

import upnext.client


def test_all_matches_the_public_names() -> None:
    public = {name for name in vars(upnext.client) if not name.startswith("_")}
    assert set(upnext.client.__all__) == public
    assert sorted(upnext.client.__all__) == upnext.client.__all__


def test_every_exported_name_resolves() -> None:
    for name in upnext.client.__all__:
        assert getattr(upnext.client, name).__module__.startswith("upnext.client._")


def test_the_sdk_does_not_pull_in_the_server() -> None:
    # A publisher's app installs the SDK to call a server, not to run one.
    code = (
        "import sys, upnext.client; "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
