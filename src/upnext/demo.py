"""A demo world for newcomers: one platform, three apps with generated art, one session.

``upnext demo`` seeds it into a fresh database through the same services the API uses,
then serves it like ``upnext serve``. Each app hands its context to the platform with a
one-time handoff token, and the first app requires them (docs/handoffs.md). The poster
art is drawn here too (served by the portal under ``/portal/art/``), so the demo needs no
network.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from upnext.callers import Caller
from upnext.contexts import service as contexts
from upnext.contexts.schemas import ItemIn
from upnext.db.engine import Database
from upnext.db.migrate import upgrade
from upnext.handoffs import service as handoffs
from upnext.kit import ids
from upnext.kit.pagination import Page
from upnext.portal import service as portal
from upnext.portal.media import MEDIA_FILES
from upnext.sessions import service as sessions
from upnext.settings import Settings

SESSION_ID = "living-room"
# The session that the printed handoff token attaches Nebula+'s context to.
TRY_SESSION_ID = "bedroom"
PLATFORM_NAME = "Acme TV"

# name, brand colour, context id
APPS = (
    ("Nebula+", (108, 76, 241), "demo-nebula"),
    ("Cinemaroll", (229, 72, 77), "demo-cinemaroll"),
    ("Trailhead", (18, 165, 148), "demo-trailhead"),
)

RATIOS = {
    "16x9": (640, 360),
    "4x3": (480, 360),
    "1x1": (360, 360),
    "2x3": (320, 480),
}


@dataclass(frozen=True)
class Show:
    app: int  # index into APPS
    slug: str
    title: str
    action: str
    ratio: str = "16x9"
    duration: int = 2880
    position: int | None = None
    season: int | None = None
    episode: int | None = None
    description: str = ""

    def item(self, media_base: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "content_id": self.slug,
            "media_type": "tv_episode" if self.season is not None else "movie",
            "action": self.action,
            "title": self.title,
            "description": self.description,
            "poster_art_uri": f"{media_base}/portal/art/{self.ratio}/{self.slug}.png",
            "poster_art_aspect_ratio": "aspect_ratio_" + self.ratio.replace("x", "_"),
            "duration": self.duration,
        }
        optional = {"season": self.season, "episode": self.episode, "position": self.position}
        return body | {k: v for k, v in optional.items() if v is not None}


# The row, newest first: every action, movies and episodes, all four aspect ratios.
CATALOGUE = (
    Show(
        0,
        "orbital-s2e4",
        "Orbital",
        "up_next_continue",
        duration=2880,
        position=1710,
        season=2,
        episode=4,
        description="The relay station goes dark.",
    ),
    Show(
        1,
        "paper-harbor",
        "Paper Harbor",
        "up_next_continue",
        duration=6480,
        position=4020,
        description="A forger's last job, told backwards.",
    ),
    Show(
        2,
        "wild-coasts-s1e3",
        "Wild Coasts",
        "up_next_continue",
        duration=2700,
        position=600,
        season=1,
        episode=3,
        description="Tide pools at the edge of winter.",
    ),
    Show(
        0,
        "signal-fires-s1e1",
        "Signal Fires",
        "up_next_new",
        duration=3120,
        season=1,
        episode=1,
        description="A new series from the makers of Orbital.",
    ),
    Show(
        1,
        "midnight-citrus",
        "Midnight Citrus",
        "up_next_new",
        "2x3",
        5820,
        description="Two rival bakers, one night market.",
    ),
    Show(
        2,
        "ferment-s3e1",
        "Ferment",
        "up_next_new",
        "1x1",
        1500,
        season=3,
        episode=1,
        description="Kimchi, koji and the patience they need.",
    ),
    Show(
        0,
        "orbital-s2e5",
        "Orbital",
        "up_next_next",
        duration=2940,
        season=2,
        episode=5,
        description="Mira decides who goes outside.",
    ),
    Show(
        2,
        "wild-coasts-s1e4",
        "Wild Coasts",
        "up_next_next",
        duration=2760,
        season=1,
        episode=4,
        description="The seals come back.",
    ),
    Show(
        1,
        "salt-and-static-2",
        "Salt & Static II",
        "up_next_next",
        duration=6600,
        description="The pirate radio crew rides again.",
    ),
    Show(
        0,
        "the-long-drift",
        "The Long Drift",
        "up_next_watchlist",
        "2x3",
        7260,
        description="Adrift for 400 days, and not alone.",
    ),
    Show(
        1,
        "the-quiet-hour",
        "The Quiet Hour",
        "up_next_watchlist",
        "4x3",
        6120,
        description="A lighthouse keeper's radio catches a voice.",
    ),
    Show(
        2,
        "high-ridge",
        "High Ridge",
        "up_next_watchlist",
        "4x3",
        5400,
        description="Three climbers, one unclimbed line.",
    ),
)


@dataclass
class DemoWorld:
    admin_key: str
    platform_id: str
    platform_key: str
    session_id: str = SESSION_ID
    apps: list[tuple[str, str, str]] = field(default_factory=list)  # name, app_id, key
    # An unused handoff token for the newcomer to attach Nebula+'s context with.
    handoff_token: str = ""
    handoff_expires_at: str = ""


# art


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(seed.encode()).digest()
    top = (40 + digest[0] % 150, 30 + digest[1] % 120, 60 + digest[2] % 160)
    bottom = (digest[3] % 50, digest[4] % 40, 20 + digest[5] % 60)
    return top, bottom


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@lru_cache(maxsize=64)
def poster_png(slug: str, ratio: str) -> bytes:
    """Poster art for ``slug`` at one of the four aspect ratios, drawn from its name."""
    width, height = RATIOS[ratio]
    show = next((s for s in CATALOGUE if s.slug == slug), None)
    title = show.title if show else slug.replace("-", " ").title()
    top, bottom = _palette(show.title if show else slug)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    digest = hashlib.sha256(slug.encode()).digest()
    glow = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    shapes = ImageDraw.Draw(glow)
    for i in range(4):
        cx, cy = digest[6 + i] / 255 * width, digest[10 + i] / 255 * height * 0.7
        r = (0.15 + digest[14 + i] / 255 * 0.35) * max(width, height)
        shapes.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255, 18 + i * 6))
    image = Image.alpha_composite(image.convert("RGBA"), glow)
    draw = ImageDraw.Draw(image)
    size = max(22, min(width // max(len(title), 6) * 2, height // 6))
    font = _font(size)
    lines = _wrap(draw, title.upper(), font, width - 48)
    # Above the bottom fifth, where a TV draws the progress bar.
    y = int(height * 0.8) - len(lines) * int(size * 1.1)
    for line in lines:
        draw.text((26, y + 2), line, font=font, fill=(0, 0, 0, 160))
        draw.text((24, y), line, font=font, fill=(255, 255, 255, 255))
        y += int(size * 1.1)
    return _png(image.convert("RGB"))


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]


def media_pngs(name: str, colour: tuple[int, int, int]) -> dict[str, bytes]:
    """Every media file of an app, each at the size (and transparency) its name demands."""
    files = {}
    for file_name, spec in MEDIA_FILES.items():
        w, h = spec.width, spec.height
        if spec.transparent:
            image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
            ink = (255, 255, 255, 255) if "dark" in file_name else (20, 20, 28, 255)
            text, size = name, h // 5
        else:
            image = Image.new("RGBA", (w, h), (*colour, 255))
            ink = (255, 255, 255, 255)
            text, size = (name[0], h // 2) if w == h else (name, h // 5)
        draw = ImageDraw.Draw(image)
        font = _font(size)
        box = draw.textbbox((0, 0), text, font=font)
        x, y = (w - (box[2] - box[0])) / 2 - box[0], (h - (box[3] - box[1])) / 2 - box[1]
        draw.text((x, y), text, font=font, fill=ink)
        files[file_name] = _png(image if spec.transparent else image.convert("RGB"))
    return files


# seeding


async def _content(body: bytes) -> bytes:
    return body


async def seed(
    db: Database, media_base: str, admin_key: str, handoff_ttl_seconds: int = 600
) -> DemoWorld:
    """Write the demo world through the services, in one transaction."""
    async with db.write() as conn:
        platform = await portal.create_platform(conn, PLATFORM_NAME)
        platform_id = platform["platform_id"]
        key = await portal.create_key(conn, "platform", platform_id=platform_id)
        world = DemoWorld(admin_key, platform_id, f"{key['key_id']}:{key['secret']}")
        callers = []
        for name, colour, _context in APPS:
            app = await portal.create_app(conn, name)
            key = await portal.create_key(conn, "publisher", app_id=app["app_id"])
            world.apps.append((name, app["app_id"], f"{key['key_id']}:{key['secret']}"))
            callers.append(Caller(key["key_id"], "publisher", app_id=app["app_id"]))
            await portal.set_avail(conn, callers[-1], app["app_id"], platform_id, True)
            for file_name, body in media_pngs(name, colour).items():
                read = partial(_content, body)
                await portal.upload_media(
                    conn, callers[-1], app["app_id"], file_name, read, content_type="image/png"
                )
        # Oldest first, so the row reads newest first in catalogue order.
        for show in reversed(CATALOGUE):
            item = ItemIn.model_validate(show.item(media_base))
            await contexts.put_item(conn, callers[show.app], APPS[show.app][2], item)
        # As a TV would: each app's client hands its user's context over with a token.
        for caller, (_, _, context_id) in zip(callers, APPS, strict=True):
            handoff = await handoffs.mint_handoff(
                conn, caller, context_id, platform_id, handoff_ttl_seconds
            )
            token = handoff["handoff_token"]
            await sessions.attach_with_handoff(conn, platform_id, SESSION_ID, token)
        await portal.set_attach_requires_handoff(conn, callers[0], world.apps[0][1], True)
        spare = await handoffs.mint_handoff(
            conn, callers[0], APPS[0][2], platform_id, handoff_ttl_seconds
        )
        world.handoff_token = spare["handoff_token"]
        world.handoff_expires_at = spare["expires_at"]
    return world


async def is_empty(db: Database) -> bool:
    async with db.read() as conn:
        _, total = await portal.list_apps(conn, Page(limit=1, offset=0))
    return total == 0


def fresh_sqlite_url() -> str:
    directory = Path(tempfile.mkdtemp(prefix="upnext-demo-"))
    return f"sqlite:///{directory / 'demo.db'}"


def new_admin_key() -> str:
    return f"{ids.mint('KY')}:{ids.token()}"


def welcome(world: DemoWorld, public_url: str) -> str:
    """What ``upnext demo`` prints: where to look, the keys to sign in with, a handoff."""
    body = json.dumps({"handoff_token": world.handoff_token})
    lines = [
        "UpNext demo is ready.",
        f"portal: {public_url}/portal/platform/sessions/{world.session_id}",
        "sign in with one of these keys (key_id:secret):",
        f"  platform {PLATFORM_NAME:<12} {world.platform_key}",
        *(f"  publisher {name:<11} {key}" for name, _, key in world.apps),
        f"  operator              {world.admin_key}",
        f"handoff: {APPS[0][0]} lets platforms attach its contexts only with a one-time token;",
        f"  this one attaches its context to session {TRY_SESSION_ID} once, until "
        f"{world.handoff_expires_at}:",
        f"  curl -u {world.platform_key} -X PUT {public_url}/v1/sessions/upnext/{TRY_SESSION_ID}"
        f" -H 'Content-Type: application/json' -d '{body}'",
        f"API: {public_url}/docs",
    ]
    return "\n".join(lines)


class NotEmpty(Exception):
    """The demo seeds only an empty database."""


async def prepare(settings: Settings) -> DemoWorld:
    """Migrate the (empty) database, install the operator key and seed the demo world."""
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        if not await is_empty(db):
            raise NotEmpty("the demo needs an empty database; this one already has apps")
        assert settings.admin_key is not None
        async with db.write() as conn:
            await portal.ensure_admin_key(conn, settings.admin_key)
        return await seed(db, settings.media_base, settings.admin_key, settings.handoff_ttl_seconds)
    finally:
        await db.dispose()
