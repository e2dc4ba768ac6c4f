"""Serving settings from the environment (prefix ``SOI_``), built by a function, never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """How the API runs; every field can be set as ``SOI_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SOI_", extra="ignore")

    model_path: str = Field(default="models", description="A model folder, or a models folder with a 'current' link.")
    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port to listen on.")
    max_batch_listings: int = Field(default=256, ge=1, le=10_000, description="Most listings in one batch request.")
    log_level: str = Field(default="info", description="debug, info, warning or error.")


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
