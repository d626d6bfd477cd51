"""The portal in a real browser (Debian's Chromium via Playwright) against a real server.

One journey, as the issue tells it: the operator creates an app and its key, the
publisher uploads an icon, enables a platform and requires handoff tokens, the platform
sets its webhook, attaches the app's context with a token, opens the session preview and
hides an item, which turns grey, and both see the change in their webhook logs.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests import servers
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, make_item
from upnext import demo
from upnext.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo_server(settings: Settings) -> Iterator[tuple[str, demo.DemoWorld]]:
    """A real ``upnext serve`` process over the demo world."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    seeded = settings.model_copy(update={"public_url": url})
    # Playwright's sync API keeps an event loop on this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        world = pool.submit(asyncio.run, demo.prepare(seeded)).result()
    env = {
        "UPNEXT_DATABASE_URL": settings.database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_PUBLIC_URL": url,
    }
    with servers.running(env, port) as server:
        yield server.base_url, world


def sign_in(page: Page, base: str, key_id: str, secret: str) -> None:
    page.goto(f"{base}/portal/login")
    page.fill("input[name=key_id]", key_id)
    page.fill("input[name=secret]", secret)
    page.click("button:has-text('Sign in')")


def sign_out(page: Page) -> None:
    page.click("button:has-text('Sign out')")
    expect(page.locator("h1")).to_have_text("Sign in with a key")


def test_operator_publisher_and_platform_in_a_browser(
    browser: Browser, demo_server: tuple[str, demo.DemoWorld], tmp_path: Path
) -> None:
    base, world = demo_server
    page = browser.new_page(viewport={"width": 1920, "height": 1000})

    # The operator creates an app and a publisher key, whose secret is shown once.
    sign_in(page, base, ADMIN_KEY_ID, ADMIN_SECRET)
    page.fill("#apps input[name=name]", "Streamly")
    page.click("#apps button:has-text('Create app')")
    expect(page.locator(".flash.ok")).to_have_text("App Streamly created.")
    page.locator("#apps tr", has_text="Streamly").locator("button:has-text('New key')").click()
    key_id = page.locator("#new-key-id").inner_text()
    secret = page.locator("#new-secret").inner_text()
    app_id = page.locator(".secret-once dd code").nth(2).inner_text()
    page.goto(f"{base}/portal/admin")
    assert key_id in page.content() and secret not in page.content()
    sign_out(page)

    # The publisher uploads its icon (the size rule is checked first) and enables Acme TV.
    sign_in(page, base, key_id, secret)
    icon_slot = page.locator(".media-slot[data-file-name='icon@1x.png']")
    wrong, right = tmp_path / "wrong.png", tmp_path / "icon.png"
    wrong.write_bytes(demo.media_pngs("Streamly", (240, 120, 20))["icon@2x.png"])
    right.write_bytes(demo.media_pngs("Streamly", (240, 120, 20))["icon@1x.png"])
    icon_slot.locator("input[type=file]").set_input_files(wrong)
    expect(icon_slot.locator(".upload-check")).to_have_text("480x480: needs 240x240")
    icon_slot.locator("button:has-text('Upload')").click()
    expect(page.locator(".flash.error")).to_contain_text("must be 240x240 pixels, not 480x480")
    icon_slot.locator("input[type=file]").set_input_files(right)
    expect(icon_slot.locator(".upload-check")).to_have_text("240x240: right size")
    icon_slot.locator("button:has-text('Upload')").click()
    expect(page.locator(".flash.ok")).to_have_text("icon@1x.png uploaded.")
    page.wait_for_load_state("load")
    uploaded = icon_slot.locator(".media-preview img")
    expect(uploaded).to_have_attribute("src", f"{base}/media/{app_id}/icon@1x.png")
    assert uploaded.evaluate("img => img.naturalWidth") == 240
    platform_row = page.locator(f"#avails tr[data-platform-id='{world.platform_id}']")
    platform_row.locator("button:has-text('Enable')").click()
    expect(platform_row.locator(".pill")).to_have_text("enabled")
    # It lets platforms attach its contexts only with a handoff token.
    handoffs = page.locator("#handoffs")
    expect(handoffs.locator(".pill")).to_have_text("not required")
    handoffs.locator("button:has-text('Require handoffs')").click()
    expect(page.locator(".flash.ok")).to_have_text(
        "Handoff tokens are now required to attach your contexts."
    )
    expect(handoffs.locator(".pill")).to_have_text("required")
    sign_out(page)

    # The app writes two items over the API and hands its context to the platform with a
    # one-time token; naming the context is refused now.
    publisher, platform = (key_id, secret), tuple(world.platform_key.split(":", 1))
    for n, ratio in ((1, "16x9"), (2, "2x3")):
        item = make_item(
            content_id=f"streamly-{n}",
            title=f"Harbour Lights {n}",
            poster_art_uri=f"{base}/portal/art/{ratio}/harbour-lights-{n}.png",
            poster_art_aspect_ratio=f"aspect_ratio_{ratio.replace('x', '_')}",
        )
        r = httpx.put(f"{base}/v1/contexts/upnext/streamly-ctx", json=item, auth=publisher)
        assert r.status_code == 200, r.text
    session = f"{base}/v1/sessions/upnext/{world.session_id}"
    named = {"app_id": app_id, "context_id": "streamly-ctx"}
    r = httpx.put(session, json=named, auth=platform)
    assert r.status_code == 403 and r.json()["code"] == "handoff_required", r.text
    r = httpx.post(
        f"{base}/v1/contexts/upnext/streamly-ctx/handoffs",
        json={"platform_id": world.platform_id},
        auth=publisher,
    )
    assert r.status_code == 201, r.text
    r = httpx.put(session, json={"handoff_token": r.json()["handoff_token"]}, auth=platform)
    assert r.status_code == 200, r.text

    # The platform sets its webhook URL and a signing secret (shown once), then previews
    # the session as a TV row and hides an item: it turns grey.
    sign_in(page, base, *platform)
    page.fill("#webhook input[name=webhook_url]", "https://tv-hooks.invalid/upnext")
    page.click("#webhook button:has-text('Save')")
    expect(page.locator(".flash.ok")).to_have_text("Webhook URL saved.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#webhook button:has-text('Create or rotate signing secret')")
    platform_secret = page.locator("#new-webhook-secret").inner_text()
    assert platform_secret.startswith("whsec_")
    page.click("a:has-text('Done')")
    assert platform_secret not in page.content()
    page.fill("input[name=session_id]", world.session_id)
    page.click("button:has-text('Preview')")
    cards = page.locator(".row .card")
    expect(cards).to_have_count(14)
    page.wait_for_load_state("load")  # every poster and icon has arrived
    card = page.locator(".card[data-content-id='streamly-2']")
    expect(card.locator(".app-icon")).to_have_attribute("alt", "Streamly")
    assert card.locator(".app-icon").evaluate("img => img.naturalWidth") == 240
    assert card.locator(".poster").evaluate("img => img.naturalHeight") == 480
    progress = card.locator("progress")
    assert progress.get_attribute("value") == "654" and progress.get_attribute("max") == "1308"
    expect(card.locator(".meta .sub")).to_contain_text("S1 · E")
    expect(page.locator(".card[data-content-id='orbital-s2e5'] .badge")).to_have_text("Next")
    expect(page.locator(".card[data-content-id='the-long-drift'] .badge")).to_have_text("Watchlist")
    page.evaluate("window.sameDocument = true")
    card.locator("button:has-text('Hide')").click()
    expect(card).to_have_class("card ar-2x3 is-hidden")
    card.locator("button:has-text('Unhide')").click()
    expect(card).to_have_class("card ar-2x3")
    card.locator("button:has-text('Hide')").click()
    expect(card).to_have_class("card ar-2x3 is-hidden")
    # The progressive script swapped the row in place: no reload, scroll position kept.
    assert page.evaluate("window.sameDocument") is True
    expect(card.locator(".hidden-label")).to_have_text("Hidden")
    assert "grayscale(1)" in card.locator(".poster").evaluate("e => getComputedStyle(e).filter")
    page.mouse.move(0, 0)  # no hover ring in the screenshot; the remote's focus instead
    page.locator(".card[data-content-id='paper-harbor']").focus()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".tv").screenshot(path=str(ARTIFACTS / "portal-row.png"))

    # The platform's own log holds the session_changed the hide queued for its session.
    page.goto(f"{base}/portal/platform/webhooks")
    newest = page.locator(".deliveries tbody tr").first
    expect(newest).to_contain_text("session_changed")
    expect(newest).to_contain_text(world.session_id)
    expect(newest).to_contain_text("streamly-ctx")

    # The API and the publisher see the change: hidden, and an item_hidden event queued.
    r = httpx.get(f"{base}/v1/sessions/upnext/{world.session_id}/streamly-ctx", auth=platform)
    assert {i["content_id"]: i["hidden"] for i in r.json()["items"]} == {
        "streamly-1": False,
        "streamly-2": True,
    }
    sign_out(page)
    sign_in(page, base, key_id, secret)
    page.goto(f"{base}/portal/app/contexts?context_id=streamly-ctx")
    expect(page.locator("tr[data-content-id='streamly-2'] .hidden-flag")).to_have_text("hidden")
    page.goto(f"{base}/portal/app/webhooks")
    expect(page.locator(".deliveries tbody tr").first).to_contain_text("item_hidden")
    page.close()


# Accessibility: axe-core on every page, signed in as each role.

AXE_DIR = Path(__file__).parent / "axe"
AXE_PACKAGE = AXE_DIR / "node_modules" / "axe-core"


def _locked_axe_version() -> str:
    lock = json.loads((AXE_DIR / "package-lock.json").read_text())
    version: str = lock["packages"]["node_modules/axe-core"]["version"]
    return version


def _installed_axe_version() -> str | None:
    manifest = AXE_PACKAGE / "package.json"
    if not manifest.exists() or not (AXE_PACKAGE / "axe.min.js").exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core exactly as tests/web/axe/package-lock.json pins it (version and integrity).

    ``npm ci`` installs it from the npm registry the first time (and whenever the lock
    changes); later runs reuse tests/web/axe/node_modules.
    """
    if _installed_axe_version() != _locked_axe_version():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(AXE_DIR)],
            check=True,
            timeout=300,
        )
    assert _installed_axe_version() == _locked_axe_version()
    return (AXE_PACKAGE / "axe.min.js").read_text()


def audit(page: Page, axe: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe)  # through the DevTools protocol: the page's CSP does not apply
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return violations


def test_every_portal_page_passes_axe_for_every_role(
    browser: Browser, demo_server: tuple[str, demo.DemoWorld], axe_source: str
) -> None:
    base, world = demo_server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of destructive forms
    found: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        found[name] = audit(page, axe_source)

    page.goto(f"{base}/portal/login")
    check("sign-in")
    sign_in(page, base, ADMIN_KEY_ID, "wrong secret")
    expect(page.locator(".flash.error")).to_be_visible()
    check("sign-in refused")
    page.goto(f"{base}/portal/no-such-page")
    check("error page")

    sign_in(page, base, *world.admin_key.split(":", 1))
    check("operator: platforms, apps and keys")
    page.fill("#platforms input[name=name]", "Globex TV")
    page.click("#platforms button:has-text('Create platform')")
    expect(page.locator(".flash.ok")).to_be_visible()
    check("operator: platform created")
    page.locator("#apps tr", has_text="Nebula+").locator("button:has-text('New key')").click()
    check("operator: new key")
    sign_out(page)

    _name, _app_id, publisher_key = world.apps[0]
    sign_in(page, base, *publisher_key.split(":", 1))
    check("publisher: app")
    page.goto(f"{base}/portal/app/contexts?context_id={demo.APPS[0][2]}")
    check("publisher: context inspector")
    page.goto(f"{base}/portal/app/webhooks")
    page.click("button:has-text('Send a test event')")
    check("publisher: webhook deliveries")
    page.goto(f"{base}/portal/app")
    page.click("button:has-text('signing secret')")
    check("publisher: new signing secret")
    sign_out(page)

    sign_in(page, base, *world.platform_key.split(":", 1))
    check("platform: apps")
    page.goto(f"{base}/portal/platform/sessions/{world.session_id}")
    check("platform: session preview")
    page.locator(".row .card").first.locator("button:has-text('Hide')").click()
    expect(page.locator(".row .card.is-hidden")).to_have_count(1)
    check("platform: session preview, an item hidden")
    page.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-violations.json").write_text(json.dumps(found, indent=1))
    # Serious and critical ones fail, as the issue asks, and so do the moderate and minor
    # ones: the portal has none, and a page without an h1 or a table header without text
    # (moderate and minor for axe) is what the issue reported.
    failing = {
        name: [
            f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(str(n["target"][0]) if n["target"] else "?" for n in v["nodes"][:5])
            for v in violations
        ]
        for name, violations in found.items()
        if violations
    }
    assert failing == {}


def test_arrow_keys_move_along_the_row(
    browser: Browser, demo_server: tuple[str, demo.DemoWorld]
) -> None:
    base, world = demo_server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, *world.platform_key.split(":", 1))
    page.goto(f"{base}/portal/platform/sessions/{world.session_id}")
    cards = page.locator(".row .card")
    ids = [cards.nth(i).get_attribute("data-content-id") for i in range(cards.count())]
    assert len(ids) >= 3

    def focused() -> str | None:
        value: str | None = page.evaluate("document.activeElement.dataset.contentId || null")
        return value

    cards.first.focus()
    page.keyboard.press("ArrowLeft")  # already the first: stays
    assert focused() == ids[0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert focused() == ids[2]
    page.keyboard.press("ArrowLeft")
    assert focused() == ids[1]
    cards.last.focus()
    page.keyboard.press("ArrowRight")  # already the last: stays
    assert focused() == ids[-1]
    page.close()
