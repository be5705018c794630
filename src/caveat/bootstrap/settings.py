"""Settings: read once, from CAVEAT_* environment variables and defaults."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class HashProfile(StrEnum):
    """Argon2id cost profiles; ``test`` exists only so test suites run quickly."""

    PRODUCTION = "production"
    TEST = "test"


class SmtpSecurity(StrEnum):
    """How the connection to the SMTP server is protected."""

    STARTTLS = "starttls"  # plain connect, then STARTTLS before anything is said (587)
    TLS = "tls"  # TLS from the first byte (implicit TLS, 465)
    NONE = "none"  # TESTS OR A LOCAL RELAY ONLY: mail and login in the clear


class Settings(BaseSettings):
    """Everything a node needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="CAVEAT_", extra="ignore")

    data_dir: Path = Field(default=Path("var/caveat"), description="the node's data directory")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file caveat.db in the data directory",
    )
    node_name: str = Field(default="caveat-node", description="origin name of this node")
    node_nation: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description=(
            "ISO alpha-3 nation whose scheme marks the pages nobody has signed in to (sign-in, "
            "errors); default: the nation of the node operators' organisation"
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    hash_profile: HashProfile = HashProfile.PRODUCTION
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    lockout_threshold: int = Field(default=5, ge=1, description="failures before backoff starts")
    lockout_base_seconds: int = Field(default=30, ge=1)
    lockout_max_seconds: int = Field(default=3600, ge=1)
    hard_lock_after: int = Field(default=20, ge=1, description="failures that need an operator")
    address_threshold: int = Field(default=20, ge=1, description="failures per client address")
    secure_cookies: bool | None = Field(
        default=None, description="force the Secure cookie flag; default: on when served over TLS"
    )
    log_json: bool = True
    log_level: str = "INFO"
    # The ledger (ADR 0005).
    ledger_origin: str | None = Field(
        default=None, description="checkpoint origin and key name; default: the node name"
    )
    ledger_batch_size: int = Field(default=5000, ge=1, le=100_000, description="leaves a batch")
    ledger_worker_seconds: float = Field(
        default=1.0, ge=0, description="background integration period; 0 turns the worker off"
    )
    checkpoint_every_entries: int = Field(default=1000, ge=1)
    checkpoint_every_seconds: int = Field(default=300, ge=1)
    witness_timeout_seconds: float = Field(default=10.0, gt=0)
    # Federation: requests to partner nodes (issue 18).
    federation_timeout_seconds: float = Field(default=10.0, gt=0)
    federation_sync_seconds: float = Field(
        default=60.0, ge=0, description="how often to sync with each peer; 0 turns it off"
    )
    federation_ca_bundle: str | None = Field(
        default=None, description="CA certificates partner nodes' TLS is checked against"
    )
    # A peer's re-release requests (ADR 0022 addendum): more are refused with HTTP 429.
    federation_re_release_pending_max: int = Field(
        default=20, ge=1, le=10_000, description="requests one peer may have waiting here"
    )
    federation_re_release_per_hour: int = Field(
        default=60, ge=1, le=100_000, description="requests one peer may send in an hour"
    )
    # Subscriptions to partners' TAXII collections (issue 20, ADR 0023 addendum).
    taxii_poll_seconds: float = Field(
        default=30.0, ge=0, description="how often the poller looks for due subscriptions; 0: off"
    )
    taxii_timeout_seconds: float = Field(default=30.0, gt=0)
    taxii_max_response_bytes: int = Field(
        default=16 << 20, ge=1 << 16, description="the largest answer read from a partner"
    )
    taxii_unsafe_local_endpoints: bool = Field(
        default=False,
        description="TESTS ONLY: let subscriptions reach loopback addresses over plain HTTP",
    )
    # Conduct monitoring: thresholds over the event stream.
    monitor_failure_threshold: int = Field(default=5, ge=2, description="denials or failures")
    monitor_failure_window_minutes: int = Field(default=15, ge=1)
    monitor_bulk_types: list[str] = Field(
        default=["artifact.downloaded"], description="event types that count as bulk access"
    )
    monitor_bulk_threshold: int = Field(default=100, ge=2)
    monitor_bulk_window_minutes: int = Field(default=60, ge=1)
    monitor_work_hours: tuple[int, int] = Field(
        default=(6, 20), description="usual working hours [start, end) in UTC"
    )
    # Artifacts (ADR 0007).
    artifact_max_bytes: int = Field(
        default=256 * 2**30, ge=1, description="largest artifact version, enforced while streaming"
    )
    upload_expiry_hours: int = Field(default=24, ge=1, le=30 * 24)
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description=(
            "addresses of the TLS proxies in front of the node whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed (client addresses for throttling and events); "
            "empty: the peer address is the client"
        ),
    )
    blob_store: str = Field(default="local", description="local | s3")
    blob_dir: Path | None = Field(default=None, description="default: <data dir>/blobs")
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_region: str | None = None
    s3_prefix: str = "caveat/"
    request_threads: int = Field(
        default=20,
        ge=1,
        le=200,
        description="requests a worker runs at once (threads; PostgreSQL pool: 2 per thread)",
    )
    verify_batch: int = Field(
        default=25, ge=1, le=10_000, description="artifacts per step of the web's verify-all"
    )

    # Live channels (issue 21, ADR 0025).
    channel_nats_url: str | None = Field(
        default=None,
        description=(
            "NATS server(s) with JetStream carrying live channels, comma-separated "
            "(nats://host:4222); default: the in-process broker (one process serves the node)"
        ),
    )
    channel_nats_replicas: int = Field(
        default=1, ge=1, le=5, description="JetStream replicas of each channel's stream"
    )
    channel_refresh_seconds: float = Field(
        default=5.0, gt=0, le=60, description="how often a reader's policy facts are read again"
    )
    channel_queue_size: int = Field(
        default=256, ge=1, le=100_000, description="messages a reader may fall behind live"
    )
    channel_ledger_seconds: float = Field(
        default=5.0, ge=0, description="how often channel activity is written to the ledger"
    )
    plan_reminder_seconds: float = Field(
        default=900.0,
        ge=0,
        description="how often assignees are reminded of tasks due soon or overdue; 0: off",
    )

    # E-mail of notifications (issue 16, ADR 0030): off unless a host is set. A mail says
    # only what kind of thing happened and links to the page; never a title or label.
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that notifications are mailed through; unset: no mail",
    )
    smtp_port: int | None = Field(
        default=None, ge=1, le=65535, description="default: 587 with starttls, 465 with tls, 25"
    )
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.STARTTLS, description="starttls | tls (implicit) | none (tests only)"
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server asks")
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP password (CAVEAT_SMTP_PASSWORD); never logged"
    )
    smtp_password_file: Path | None = Field(
        default=None, description="a file holding the SMTP password (first line), instead"
    )
    smtp_from: str | None = Field(default=None, description="the From address of every mail")
    smtp_ca_bundle: str | None = Field(
        default=None, description="CA certificates the SMTP server's TLS is checked against"
    )
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    mail_base_url: str | None = Field(
        default=None,
        description="the node's web address as its people reach it (https://caveat.example.org);"
        " the links in mails start with it",
    )
    mail_worker_seconds: float = Field(
        default=30.0, ge=0, description="how often waiting mail is looked for; 0: off"
    )
    mail_max_attempts: int = Field(
        default=8, ge=1, le=50, description="tries of one mail before it is given up"
    )
    mail_retry_seconds: float = Field(
        default=60.0, gt=0, description="the wait after a first failed try; doubles each time"
    )

    # The policy (ADR 0006): the §126.18-style dual/third-country national rule is off
    # unless a ceiling (common level 0-4; 126.18 itself covers unclassified: 0) is set.
    policy_dual_national_max_level: int | None = Field(default=None, ge=0, le=4)
    policy_dual_national_organisations: list[str] = Field(
        default=[], description="organisation ids the rule applies to; empty: any"
    )

    @property
    def mail_enabled(self) -> bool:
        """Whether notifications are mailed: an SMTP host is configured."""
        return bool(self.smtp_host)

    def resolved_smtp_password(self) -> str | None:
        """The SMTP password from CAVEAT_SMTP_PASSWORD or the first line of its file."""
        if self.smtp_password is not None:
            return self.smtp_password.get_secret_value()
        if self.smtp_password_file is not None:
            lines = self.smtp_password_file.read_text(encoding="utf-8").splitlines()
            return lines[0] if lines else ""
        return None

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'caveat.db').resolve()}"
