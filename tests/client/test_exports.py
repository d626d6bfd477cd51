"""The SDK's public surface: ``__all__`` lists exactly what the package exports."""

from __future__ import annotations

import upnext.client


def test_all_matches_the_public_names() -> None:
    public = {name for name in vars(upnext.client) if not name.startswith("_")}
    assert set(upnext.client.__all__) == public
    assert sorted(upnext.client.__all__) == upnext.client.__all__


def test_every_exported_name_resolves() -> None:
    for name in upnext.client.__all__:
        assert getattr(upnext.client, name).__module__.startswith("upnext.client._")
