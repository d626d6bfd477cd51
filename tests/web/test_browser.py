"""The portal in a real browser (Debian's Chromium via Playwright) against a real server.

One journey, as the issue tells it: the operator creates an app and its key, the
publisher uploads an icon and enables a platform, the platform sets its webhook, opens the
session preview and hides an item, which turns grey, and both see the change in their
webhook logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
    sign_out(page)

    # The app writes two items over the API; the platform attaches its context.
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
    r = httpx.put(
        f"{base}/v1/sessions/upnext/{world.session_id}",
        json={"app_id": app_id, "context_id": "streamly-ctx"},
        auth=platform,
    )
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
