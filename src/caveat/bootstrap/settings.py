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


class Settings(BaseSettings):
    """Everything a node needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="CAVEAT_", extra="ignore")

    data_dir: Path = Field(default=Path("var/caveat"), description="the node's data directory")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file caveat.db in the data directory",
    )
    node_name: str = Field(default="caveat-node", description="origin name of this node")
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

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'caveat.db').resolve()}"
