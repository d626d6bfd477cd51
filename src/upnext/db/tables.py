"""Every table of UpNext, in one MetaData shared by the migrations and the tests.

Timestamps are integer microseconds since the Unix epoch (UTC): they sort and compare the
same on SQLite and PostgreSQL and carry more precision than the millisecond wire format.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 20  # PL/AP/KY + 18 digits
CLIENT_ID = 128
URI = 2048

platforms = Table(
    "platforms",
    metadata,
    Column("platform_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Where session_changed events go (docs/webhooks.md), and a 410's mark, as for apps.
    Column("webhook_url", String(URI)),
    Column("webhook_disabled_at", BigInteger),
)

apps = Table(
    "apps",
    metadata,
    Column("app_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("webhook_url", String(URI)),
    # Set when a receiver answered 410 Gone: deliveries stop until the URL is set again.
    Column("webhook_disabled_at", BigInteger),
    # Per-app thresholds of the Publisher Guidelines as JSON; NULL means the defaults.
    Column("guidelines", Text),
    # Attaching this app's contexts needs a handoff token (docs/handoffs.md). NULL: never
    # set, which behaves as false and is not rendered, so old clients see the same app.
    Column("attach_requires_handoff", Boolean),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(ID), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("platform_id", String(ID), ForeignKey("platforms.platform_id", ondelete="CASCADE")),
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE")),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Index("ix_api_keys_platform_id", "platform_id"),
    Index("ix_api_keys_app_id", "app_id"),
)

# A browser's portal session. The cookie holds a random token and nothing else; the row is
# found by the token's SHA-256, so the database never holds a token that would work.
# key_id is NULL before sign-in (the sign-in form's CSRF nonce, a flash message).
portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(ID), ForeignKey("api_keys.key_id", ondelete="CASCADE")),
    Column("csrf_nonce", String(64), nullable=False),
    # Messages for the next page, as JSON [[kind, text], ...]; NULL when there are none.
    Column("flash", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_portal_sessions_key_id", "key_id"),
    Index("ix_portal_sessions_expires_at", "expires_at"),
)

avails = Table(
    "avails",
    metadata,
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "platform_id",
        String(ID),
        ForeignKey("platforms.platform_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_avails_platform_id", "platform_id"),
)

platform_data = Table(
    "platform_data",
    metadata,
    Column(
        "platform_id",
        String(ID),
        ForeignKey("platforms.platform_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE"), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

app_media = Table(
    "app_media",
    metadata,
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE"), primary_key=True),
    Column("file_name", String(32), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

contexts = Table(
    "contexts",
    metadata,
    Column("context_id", String(CLIENT_ID), primary_key=True),
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_contexts_app_id", "app_id"),
)

items = Table(
    "items",
    metadata,
    Column(
        "context_id",
        String(CLIENT_ID),
        ForeignKey("contexts.context_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("content_id", String(CLIENT_ID), primary_key=True),
    Column("app_id", String(ID), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("action", String(32), nullable=False),
    Column("media_type", String(16), nullable=False),
    Column("title", String(512), nullable=False),
    Column("description", Text, nullable=False),
    Column("season", Integer),
    Column("episode", Integer),
    Column("poster_art_uri", String(URI), nullable=False),
    Column("poster_art_aspect_ratio", String(32), nullable=False),
    Column("preview_video_uri", String(URI)),
    Column("position", Integer),
    Column("duration", Integer, nullable=False),
    Column("hidden", Boolean, nullable=False),
    # Extensions beyond the reference (docs/extensions.md).
    Column("event_time", BigInteger),
    Column("expires_at", BigInteger),
    Column("series_id", String(CLIENT_ID)),
    # Items a TV can draw and start (migration 0007, docs/extensions.md). The first four are
    # in the rendering too; the playback links are per platform, so they are spliced on
    # read instead (upnext.readmodel): playback_uris is a JSON object, platform_id -> URI.
    Column("series_title", String(512)),
    Column("content_rating", String(32)),
    Column("maturity_age", Integer),
    Column("available_from", BigInteger),
    Column("playback_uri", String(URI)),
    Column("playback_uris", Text),
    # The end of a snooze: from then the item reads hidden false, before the snooze job
    # has written it (upnext.snoozes). NULL for a hide without end and a visible item.
    Column("hidden_until", BigInteger),
    # The List Item Object as JSON (without platform_data and app_media), written with the
    # columns above by every write: lists splice it instead of rendering (upnext.readmodel).
    Column("rendered", LargeBinary, nullable=False),
    # The list of one context, newest first, is a range scan of this index.
    Index("ix_items_context_recent", "context_id", "updated_at", "content_id"),
    Index("ix_items_updated_at", "updated_at"),
    # The purge job's search for expired items; partial, as most items never expire.
    Index(
        "ix_items_expires_at",
        "expires_at",
        sqlite_where=text("expires_at IS NOT NULL"),
        postgresql_where=text("expires_at IS NOT NULL"),
    ),
    # The snooze job's search for snoozes that ended; partial, as few items are snoozed.
    Index(
        "ix_items_hidden_until",
        "hidden_until",
        sqlite_where=text("hidden_until IS NOT NULL"),
        postgresql_where=text("hidden_until IS NOT NULL"),
    ),
)

# A series hidden in a context (the hide body's "scope": "series"): its items are hidden,
# and so is every episode of it written later, until the series is unhidden or the snooze
# (hidden_until) ends. It is the user's, like an item's hidden flag: every platform reads it.
# The platform and session that hid it, and the item named, are the snooze-end event's.
series_hides = Table(
    "series_hides",
    metadata,
    Column(
        "context_id",
        String(CLIENT_ID),
        ForeignKey("contexts.context_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("series_id", String(CLIENT_ID), primary_key=True),
    Column("content_id", String(CLIENT_ID), nullable=False),
    Column("platform_id", String(ID), nullable=False),
    Column("session_id", String(CLIENT_ID), nullable=False),
    Column("hidden_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Index(
        "ix_series_hides_hidden_until",
        "hidden_until",
        sqlite_where=text("hidden_until IS NOT NULL"),
        postgresql_where=text("hidden_until IS NOT NULL"),
    ),
)

# A snoozed item (the hide body's "until"): who snoozed it, for the event at its end. The
# item itself carries the end (items.hidden_until); a row whose item no longer does (the
# publisher wrote hidden, a new hide) ends without an event.
item_snoozes = Table(
    "item_snoozes",
    metadata,
    Column(
        "context_id",
        String(CLIENT_ID),
        ForeignKey("contexts.context_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("content_id", String(CLIENT_ID), primary_key=True),
    Column("platform_id", String(ID), nullable=False),
    Column("session_id", String(CLIENT_ID), nullable=False),
    Column("hidden_until", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_item_snoozes_hidden_until", "hidden_until"),
)

sessions = Table(
    "sessions",
    metadata,
    Column(
        "platform_id",
        String(ID),
        ForeignKey("platforms.platform_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("session_id", String(CLIENT_ID), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

session_contexts = Table(
    "session_contexts",
    metadata,
    Column("platform_id", String(ID), primary_key=True),
    Column("session_id", String(CLIENT_ID), primary_key=True),
    # One context per app and session: attaching another context of the app replaces it.
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "context_id",
        String(CLIENT_ID),
        ForeignKey("contexts.context_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["platform_id", "session_id"],
        ["sessions.platform_id", "sessions.session_id"],
        ondelete="CASCADE",
        name="fk_session_contexts_session",
    ),
    Index("ix_session_contexts_context_id", "context_id"),
)

# One-time handoff tokens a publisher mints for one of its contexts (docs/handoffs.md).
# Only the SHA-256 of the token is stored; used_at is set once, by the redeeming attach.
handoffs = Table(
    "handoffs",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE"), nullable=False),
    Column(
        "context_id",
        String(CLIENT_ID),
        ForeignKey("contexts.context_id", ondelete="CASCADE"),
        nullable=False,
    ),
    # When set, only this platform may redeem the token.
    Column("platform_id", String(ID), ForeignKey("platforms.platform_id", ondelete="CASCADE")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    Index("ix_handoffs_expires_at", "expires_at"),
    Index("ix_handoffs_context_id", "context_id"),
)

# A webhook's owner, the receiver of its events: an app or a platform, never both.
ONE_OWNER = "(app_id IS NULL) <> (platform_id IS NULL)"

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("secret_id", Integer, primary_key=True, autoincrement=True),
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE")),
    Column("platform_id", String(ID), ForeignKey("platforms.platform_id", ondelete="CASCADE")),
    Column("secret", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # A rotated-out secret keeps signing until this moment (the 24 h overlap).
    Column("expires_at", BigInteger),
    CheckConstraint(ONE_OWNER, name="ck_webhook_secrets_one_owner"),
    Index("ix_webhook_secrets_app_id", "app_id"),
    Index("ix_webhook_secrets_platform_id", "platform_id"),
)

# The transactional outbox: a row is written in the same transaction as the change that
# caused the event, and the delivery worker sends it later.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", String(40), primary_key=True),
    Column("app_id", String(ID), ForeignKey("apps.app_id", ondelete="CASCADE")),
    Column("platform_id", String(ID), ForeignKey("platforms.platform_id", ondelete="CASCADE")),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger),
    Column("claimed_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # The context it concerns, so that erasing a context can drop its pending events.
    Column("context_id", String(CLIENT_ID)),
    # The session a platform's session_changed is about.
    Column("session_id", String(CLIENT_ID)),
    # "{platform_id}/{session_id}" while a session_changed still takes changes (nobody has
    # claimed it yet); unique, so a session has at most one such event. A claim clears it.
    Column("coalesce_key", String(ID + 1 + CLIENT_ID)),
    CheckConstraint(ONE_OWNER, name="ck_webhook_deliveries_one_owner"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_app_id", "app_id", "created_at"),
    Index("ix_webhook_deliveries_platform_id", "platform_id", "created_at"),
    Index("ix_webhook_deliveries_session", "platform_id", "session_id", "created_at"),
    Index("ix_webhook_deliveries_coalesce_key", "coalesce_key", unique=True),
    Index("ix_webhook_deliveries_context_id", "context_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(40),
        ForeignKey("webhook_deliveries.delivery_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempted_at", BigInteger, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer),
    Column("error", String(500)),
    Index("ix_webhook_attempts_delivery_id", "delivery_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_id", String(ID), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", LargeBinary),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", String(ID), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(CLIENT_ID), nullable=False),
    Column("detail", Text),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_audit_log_created_at", "created_at"),
)
