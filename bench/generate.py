"""Fill a migrated database with a realistic, seeded data set, and write wrk's target files.

Shape at the default scale (1 M items): 100 k contexts (about 10 items each), 20 apps,
2 platforms, 50 k sessions of 1-8 contexts (one per app), every app available on both
platforms with platform data and three media files. Everything scales with ``--scale``
except apps and platforms. Rows go in with SQLAlchemy Core bulk inserts, in batches.

    python -m bench.generate --database-url sqlite:///bench/data/1M.db --scale 1M
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Connection

from upnext.contexts.schemas import render_item
from upnext.db import tables as t
from upnext.db.engine import sync_url
from upnext.db.migrate import upgrade
from upnext.kit.hashing import hash_secret

APPS = 20
PLATFORMS = 2
BATCH = 20_000
SAMPLE_TARGETS = 20_000
# Items are stamped up to 45 days before the hour the data is generated: inside the
# default 60-day retention (UPNEXT_ITEM_TTL_DAYS), so the purge job leaves them alone.
# Everything else is a function of the seed.
HOUR_US = 3_600_000_000
NOW_US = time.time_ns() // 1000 // HOUR_US * HOUR_US
MAX_AGE_US = 45 * 86_400_000_000
WORDS = tuple(
    "the a of night city last river house secret dark summer lost king queen war game "  # noqa: SIM905
    "love story road home blue red light storm ocean winter fire iron star moon garden "
    "return empire shadow glass silent wild golden broken crown island north south".split()
)
ACTIONS = ("up_next_continue", "up_next_next", "up_next_new", "up_next_watchlist")
RATIOS = ("aspect_ratio_16_9", "aspect_ratio_4_3", "aspect_ratio_1_1", "aspect_ratio_2_3")
MEDIA = ("icon@1x.png", "tile@1x.png", "logo_dark@1x.png")


def parse_scale(value: str) -> int:
    """``10k``, ``1M``, ``2.5M`` or a plain number of items."""
    units = {"k": 1_000, "m": 1_000_000}
    value = value.strip().lower()
    if value and value[-1] in units:
        return int(float(value[:-1]) * units[value[-1]])
    return int(value)


def scale_name(items: int) -> str:
    if items % 1_000_000 == 0:
        return f"{items // 1_000_000}M"
    if items % 1_000 == 0:
        return f"{items // 1_000}k"
    return str(items)


@dataclass(frozen=True)
class Shape:
    items: int
    contexts: int
    sessions: int

    @classmethod
    def of(cls, items: int) -> Shape:
        return cls(items=items, contexts=max(items // 10, APPS), sessions=max(items // 20, 1))


def platform_id(p: int) -> str:
    return f"PL{100_000_000_000_000_000 + p}"


def app_id(a: int) -> str:
    return f"AP{100_000_000_000_000_000 + a}"


def context_id(c: int) -> str:
    return f"ctx{c:08d}"


def session_id(s: int) -> str:
    return f"sess{s:08d}"


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _item(rng: random.Random, c: int, n: int) -> dict[str, Any]:
    action = rng.choice(ACTIONS)
    episode = rng.random() < 0.6
    duration = rng.randrange(1_200, 9_000)
    item = {
        "context_id": context_id(c),
        "content_id": f"content{n:06d}",
        "app_id": app_id(c % APPS),
        "updated_at": NOW_US - rng.randrange(MAX_AGE_US),
        "action": action,
        "media_type": "tv_episode" if episode else "movie",
        "title": _sentence(rng, 4).title(),
        "description": _sentence(rng, 60),
        "season": rng.randrange(1, 12) if episode else None,
        "episode": rng.randrange(1, 24) if episode else None,
        "poster_art_uri": f"https://images.example.com/posters/{c}/{n}/poster-1280x720.jpg",
        "poster_art_aspect_ratio": rng.choice(RATIOS),
        "preview_video_uri": None,
        "position": rng.randrange(duration) if action == "up_next_continue" else None,
        "duration": duration,
        "hidden": False,
        "event_time": None,
        "expires_at": None,
        "series_id": f"series{c}-{n % 3}" if episode else None,
    }
    return {**item, "rendered": render_item(item)}


def _bulk(conn: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    written, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            written, batch = written + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
        written += len(batch)
    return written


def _accounts(conn: Connection, rng: random.Random) -> dict[str, Any]:
    """Platforms, apps, avails, platform data, media and one key per tenant."""
    secrets = {"platforms": [], "apps": []}
    conn.execute(
        t.platforms.insert(),
        [
            {"platform_id": platform_id(p), "name": f"TV {p}", "created_at": NOW_US}
            for p in range(PLATFORMS)
        ],
    )
    conn.execute(
        t.apps.insert(),
        [{"app_id": app_id(a), "name": f"App {a}", "created_at": NOW_US} for a in range(APPS)],
    )
    keys = []
    for role, owner, count in (("platform", platform_id, PLATFORMS), ("publisher", app_id, APPS)):
        for i in range(count):
            key_id, secret = (
                f"KY{200_000_000_000_000_000 + len(keys)}",
                f"{rng.getrandbits(192):048x}",
            )
            column = "platform_id" if role == "platform" else "app_id"
            keys.append(
                {
                    "key_id": key_id,
                    "role": role,
                    "platform_id": None,
                    "app_id": None,
                    column: owner(i),
                    "secret_hash": hash_secret(secret),
                    "created_at": NOW_US,
                }
            )
            secrets["platforms" if role == "platform" else "apps"].append(f"{key_id}:{secret}")
    conn.execute(t.api_keys.insert(), keys)
    pairs = [(a, p) for a in range(APPS) for p in range(PLATFORMS)]
    conn.execute(
        t.avails.insert(),
        [
            {
                "app_id": app_id(a),
                "platform_id": platform_id(p),
                "enabled": True,
                "updated_at": NOW_US,
            }
            for a, p in pairs
        ],
    )
    conn.execute(
        t.platform_data.insert(),
        [
            {
                "platform_id": platform_id(p),
                "app_id": app_id(a),
                "updated_at": NOW_US,
                "data": json.dumps(
                    {"deeplink_scheme": f"app{a}", "featured": a % 2 == 0, "rank": a}
                ),
            }
            for a, p in pairs
        ],
    )
    conn.execute(
        t.app_media.insert(),
        [
            {
                "app_id": app_id(a),
                "file_name": name,
                "content": b"\x89PNG",
                "etag": f"e{a}",
                "updated_at": NOW_US,
            }
            for a in range(APPS)
            for name in MEDIA
        ],
    )
    return secrets


def _sessions(
    rng: random.Random, shape: Shape, counts: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[Any, ...]]]:
    """Sessions of 1-8 contexts (one per app), and wrk targets drawn from them."""
    sessions, attachments, targets = [], [], []
    per_app = shape.contexts // APPS
    for s in range(shape.sessions):
        p = s % PLATFORMS
        sessions.append(
            {"platform_id": platform_id(p), "session_id": session_id(s), "created_at": NOW_US}
        )
        chosen = [
            a + APPS * rng.randrange(per_app) for a in rng.sample(range(APPS), rng.randint(1, 8))
        ]
        for c in chosen:
            attachments.append(
                {
                    "platform_id": platform_id(p),
                    "session_id": session_id(s),
                    "app_id": app_id(c % APPS),
                    "context_id": context_id(c),
                    "created_at": NOW_US,
                }
            )
        if len(targets) < SAMPLE_TARGETS:
            c = next((c for c in chosen if counts[c]), None)
            if c is not None:
                total = sum(counts[x] for x in chosen)
                targets.append((p, session_id(s), context_id(c), c % APPS, counts[c], total))
    return sessions, attachments, targets


def _write_targets(out: Path, secrets: dict[str, Any], targets: list[tuple[Any, ...]]) -> None:
    """Files the wrk scripts read: Basic headers and (session, context, sizes) rows."""
    import base64

    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for kind in ("platforms", "apps"):
        for i, key in enumerate(secrets[kind]):
            lines.append(f"{kind}\t{i}\tBasic {base64.b64encode(key.encode()).decode()}")
    (out / "auth.tsv").write_text("\n".join(lines) + "\n")
    rows = ["\t".join(str(v) for v in target) for target in targets]
    (out / "targets.tsv").write_text("\n".join(rows) + "\n")
    (out / "keys.json").write_text(json.dumps(secrets, indent=1))


def generate(database_url: str, items: int, seed: int, out: Path) -> dict[str, Any]:
    """Migrate ``database_url``, fill it, and write wrk's target files into ``out``."""
    started = time.monotonic()
    upgrade(database_url)
    rng = random.Random(seed)
    shape = Shape.of(items)
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA synchronous=OFF"))
        secrets = _accounts(conn, rng)
        conn.execute(
            t.contexts.insert(),
            [
                {
                    "context_id": context_id(c),
                    "app_id": app_id(c % APPS),
                    "created_at": NOW_US,
                }
                for c in range(shape.contexts)
            ],
        )
        counts = [0] * shape.contexts
        for _ in range(shape.items):
            counts[rng.randrange(shape.contexts)] += 1
        rows = (_item(rng, c, n) for c, count in enumerate(counts) for n in range(count))
        written = _bulk(conn, t.items, rows)
        sessions, attachments, targets = _sessions(rng, shape, counts)
        _bulk(conn, t.sessions, iter(sessions))
        _bulk(conn, t.session_contexts, iter(attachments))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    _write_targets(out, secrets, targets)
    return {
        "items": written,
        "contexts": shape.contexts,
        "sessions": shape.sessions,
        "attachments": len(attachments),
        "seconds": round(time.monotonic() - started, 1),
    }


@click.command()
@click.option(
    "--database-url", required=True, help="An empty database: sqlite:///... or postgresql://..."
)
@click.option("--scale", default="1M", show_default=True, help="Items to store: 10k .. 10M.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--out", default="bench/data/targets", show_default=True, type=click.Path(path_type=Path)
)
def main(database_url: str, scale: str, seed: int, out: Path) -> None:
    """Generate the benchmark data set."""
    items = parse_scale(scale)
    if not 10_000 <= items <= 10_000_000:
        raise click.BadParameter("between 10k and 10M items", param_hint="--scale")
    click.echo(json.dumps(generate(database_url, items, seed, out)))


if __name__ == "__main__":
    main()
