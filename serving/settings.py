"""Serving settings from the environment (prefix ``SOI_``), built by a function, never at import.

This is the one home of the service's limits; the listing contract's fixed limits (brand, category, seller
fields, counts, price…) are in ``model/schema.py``. The README lists both.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from model.limits import MODEL_DESCRIPTION_CHARS

DEFAULT_DATABASE_URL = "sqlite:///var/soi.db"


class Settings(BaseSettings):
    """How the API runs; every field can be set as ``SOI_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SOI_", extra="ignore", populate_by_name=True)

    model_path: str = Field(default="models", description="A model folder, or a models folder with a 'current' link.")
    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port to listen on.")
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes (share one database).")
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    keep_alive_s: int = Field(
        default=75,
        ge=1,
        description="How long an idle keep-alive connection stays open; longer than the clients' and load "
        "balancers' idle timeouts, so a client never sends on a connection the server is closing.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="How long a client may take to send a request's line and headers, from its first byte (or "
        "from the connection's opening); slower ones are disconnected (slowloris).",
    )
    switch_interval_ms: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description="How often a thread holding Python's interpreter lock yields it to one waiting (sys."
        "setswitchinterval; Python's default is 5 ms). Scoring holds the lock in worker threads; a shorter interval "
        "lets the event loop answer /healthz, /readyz and /metrics sooner meanwhile (measured: p50 17 ms against "
        "29 ms on a loaded 2-core machine) at no measurable cost to scoring.",
    )
    max_header_bytes: int = Field(
        default=16_384, ge=1_024, description="Largest request line plus headers (h11); larger is refused with 400."
    )

    # storage
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        # the plain DATABASE_URL is what PaaS and docker-compose set; SOI_DATABASE_URL wins when both are set
        validation_alias=AliasChoices("SOI_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="SQLAlchemy URL: sqlite:///path.db (default, embedded) or postgresql+psycopg://user:pw@host/db.",
    )
    db_pool_size: int = Field(default=5, ge=1, le=100, description="Connections kept per worker (PostgreSQL).")
    db_max_overflow: int = Field(default=5, ge=0, le=100, description="Extra connections per worker under load.")
    db_pool_timeout_s: float = Field(default=10.0, gt=0, description="Wait for a free pooled connection, then 503.")
    db_connect_timeout_s: int = Field(default=3, ge=1, description="PostgreSQL connect timeout; an outage fails fast.")
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0, description="How long SQLite waits for its write lock.")
    sqlite_cache_mb: int = Field(
        default=32, ge=1, le=4096, description="SQLite page cache per connection (MiB); SQLite's own default is 2."
    )
    sqlite_mmap_mb: int = Field(
        default=1024,
        ge=0,
        le=65536,
        description="SQLite reads the database file through a memory map of up to this size (MiB; 0: off): index "
        "probes read the OS page cache without a system call each.",
    )
    migrate_on_start: bool = Field(default=True, description="Apply Alembic migrations when the app starts.")

    reload_poll_s: float = Field(
        default=5.0, ge=0, description="How often a worker looks for other workers' model reloads (0: never)."
    )

    # auth
    auth_disabled: bool = Field(
        default=False,
        description="Development only: every request is treated as an admin. Logged as a WARNING at startup.",
    )
    auth_cache_s: float = Field(default=30.0, ge=0, description="How long a checked key is trusted without the DB.")
    session_ttl_s: int = Field(default=12 * 3600, ge=60, description="How long a review page sign-in lasts.")
    session_secret: str = Field(
        default="",
        description="Keys the review page's session token hashes and CSRF tokens; the same for every replica. "
        "Unset: generated into secrets_dir on SQLite, refused on PostgreSQL (see serving/secrets.py).",
    )

    # cases (see serving/secrets.py for what happens when a key is not set)
    identifier_key: str = Field(
        default="",
        description="Key of the identifier index (HMAC-SHA256): the index alone reveals no phone number. Keep it for "
        "the life of the database. Unset: generated into secrets_dir on SQLite, refused on PostgreSQL.",
    )
    evidence_key: str = Field(
        default="",
        description="Ed25519 private key (base64 of its 32 bytes) that signs evidence bundles; unset as above.",
    )
    secrets_dir: str = Field(
        default="", description="Where generated secrets are kept (never the database); empty: beside the SQLite file."
    )
    linking: bool = Field(default=True, description="Link stored listings into operators (cases) at ingest.")
    identifier_max_sellers: int = Field(
        default=100,
        ge=2,
        description="An identifier on listings of more sellers than this is common (a hotline) and links nobody.",
    )

    # micro-batching of single-listing requests (serving/batching.py)
    batch_wait_ms: float = Field(
        default=2.0,
        ge=0,
        le=1_000,
        description="How long a single-listing request waits for others to be scored with it; listings that "
        "arrive while a batch is being scored join the next one anyway (0: no extra wait).",
    )
    batch_max_listings: int = Field(
        default=64, ge=1, le=10_000, description="Most single-listing requests scored and stored together."
    )
    batch_max_queued: int = Field(
        default=1_000, ge=1, description="Most single-listing requests waiting to be scored; more are answered 503."
    )
    batch_drain_s: float = Field(
        default=10.0, ge=0, description="On shutdown, how long the waiting requests get to be scored before 503."
    )

    # limits
    max_body_bytes: int = Field(default=2_000_000, ge=1_000, description="Largest request body; larger gets 413.")
    max_batch_listings: int = Field(default=256, ge=1, le=10_000, description="Most listings in one batch request.")
    max_title_chars: int = Field(default=1_000, ge=1, description="Longest title accepted (longer gets 422).")
    max_description_chars: int = Field(
        default=100_000, ge=1, description="Longest description accepted (longer gets 422)."
    )
    model_description_chars: int = Field(
        default=MODEL_DESCRIPTION_CHARS,
        ge=1,
        description="The model reads at most this much description; the snapshot keeps it all.",
    )
    max_note_chars: int = Field(default=4_000, ge=1, description="Longest reviewer note.")
    max_read_ms: float = Field(
        default=20.0,
        gt=0,
        description="Reading budget per listing: a listing whose text would take longer to read (by the worst-case "
        "cost per character, model.predictor.READ_CHARS_PER_MS) is read on its beginning only, and its score "
        "says so (read_truncated).",
    )
    min_free_disk_mb: int = Field(
        default=64, ge=0, description="/readyz answers 503 when the SQLite database's disk has less free space."
    )

    # queue
    queue_uncertain_share: float = Field(
        default=0.05, ge=0, le=1, description="Share of each queue page given to listings the model is unsure about."
    )
    queue_max_page: int = Field(default=200, ge=1, le=1_000, description="Largest queue page.")

    # team review (serving/team.py): claims, second reviews, undo, reviewer reliability
    claim_lease_s: float = Field(
        default=600, gt=0, description="How long a claimed listing stays the reviewer's (renewed while they are on it)."
    )
    undo_s: float = Field(default=60, ge=0, description="How long after saving a reviewer may retract a review.")
    second_review_share: float = Field(
        default=0.1, ge=0, le=1, description="Share of reviewed listing versions sent to a second, blind reviewer."
    )
    second_review_confident_high: float = Field(
        default=0.95,
        gt=0.5,
        le=1,
        description="A review calling a label absent that the model gives this much "
        "probability goes to a second reviewer.",
    )
    second_review_confident_low: float = Field(
        default=0.05,
        ge=0,
        lt=0.5,
        description="A review setting a label the model gives at most this much probability goes to a second reviewer.",
    )
    review_agreement_floor: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Below this (shrunk) share of reviews agreeing with the final label, a "
        "reviewer's single reviews stop feeding training until a lead clears them.",
    )
    review_prior_agreement: float = Field(
        default=0.9, ge=0, le=1, description="A reviewer's agreement before any check (the shrinkage prior)."
    )
    review_prior_kappa: float = Field(
        default=0.8, ge=0, le=1, description="A reviewer's kappa, hence training weight, before any check."
    )
    review_prior_checks: float = Field(
        default=10, ge=0, description="How many checked reviews the priors count as (shrinkage strength)."
    )
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After sent with 503 answers.")


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
