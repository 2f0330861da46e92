"""Configuration: one YAML file plus `GUARD_` environment variables, read once at the edge.

Precedence, highest first: keyword arguments, environment (`GUARD_UPSTREAMS__OPENAI__BASE_URL`),
the YAML file, built-in defaults. The file is `--config FILE`, else `$GUARD_CONFIG`, else
`./guard.yaml` if it exists, else none.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from guard.audit.settings import AuditSettings
from guard.consent.settings import ConsentSettings
from guard.detect.settings import DetectSettings
from guard.errors import ConfigError
from guard.pii.settings import PIISettings
from guard.policy.settings import PolicySettings

__all__ = [
    "AuthSettings",
    "CredentialSource",
    "EmotionRoute",
    "GuardSettings",
    "PipelineSettings",
    "ServerSettings",
    "TenantKey",
    "TenantSettings",
    "UpstreamSettings",
    "UpstreamsSettings",
    "load_settings",
]


class UpstreamSettings(BaseModel):
    base_url: str = Field(description="The model API's base URL; traffic goes only here, never where a header says")
    api_key_env: str | None = Field(
        default=None, description="Env var holding the upstream API key; unset = pass on the caller's key")
    connect_timeout_s: float = Field(default=5.0, gt=0, description="Seconds to wait for a connection")
    read_timeout_s: float = Field(default=120.0, gt=0, description="Seconds to wait for the next bytes of an answer")
    max_connections: int = Field(default=200, gt=0, description="Pooled connections to this upstream per worker")

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class OpenAIUpstream(UpstreamSettings):
    base_url: str = "https://api.openai.com/v1"
    api_key_env: str | None = "OPENAI_API_KEY"


class AnthropicUpstream(UpstreamSettings):
    base_url: str = "https://api.anthropic.com"
    api_key_env: str | None = "ANTHROPIC_API_KEY"


class UpstreamsSettings(BaseModel):
    # Separate classes carry the defaults per field, so overriding one key (from env or YAML)
    # keeps the others.
    openai: OpenAIUpstream = Field(default_factory=OpenAIUpstream)
    anthropic: AnthropicUpstream = Field(default_factory=AnthropicUpstream)


class ServerSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Interface `guard serve` listens on")
    port: int = Field(default=8787, ge=0, le=65535, description="Port `guard serve` listens on")
    workers: int = Field(default=1, ge=1, description="Worker processes (each reads the config itself)")
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0, description="Larger request bodies get a 413")


class PipelineSettings(BaseModel):
    fail_open: list[Literal["admit", "redact", "inspect", "judge", "restore", "record"]] = Field(
        default_factory=list, description="Stages whose failure lets the exchange continue (default: none)"
    )


class CredentialSource(BaseModel):
    """Where a secret is read from at use time: an environment variable or a file (never the config)."""

    env: str | None = Field(default=None, description="Environment variable holding the secret")
    file: str | None = Field(default=None, description="File holding the secret (surrounding whitespace ignored)")

    def read(self) -> str | None:
        if self.env and os.environ.get(self.env):
            return os.environ[self.env]
        if self.file:
            try:
                return Path(self.file).expanduser().read_text(encoding="utf-8").strip() or None
            except OSError:
                raise ConfigError(f"Cannot read the credential file {self.file}.",
                                  hint="Check the path and its permissions.") from None
        return None


class EmotionRoute(BaseModel):
    url: str = Field(description="The emotion model's endpoint; traffic goes only here")
    text: str = Field(default="$.inputs", description="JSONPath of the text in the request body")
    labels: str = Field(default="$[*]",
                        description="JSONPath of the labels in the response: [{label, score}] or {label: score}")
    label_key: str = Field(default="label", description="Key of the label in [{label, score}] items")
    score_key: str = Field(default="score", description="Key of the score in [{label, score}] items")
    api_key: CredentialSource = Field(default_factory=CredentialSource,
                                      description="Credential sent to the emotion model, if it needs one")
    auth_header: str = Field(default="authorization", description="Header that carries api_key")
    timeout_s: float = Field(default=30.0, gt=0, description="Seconds to wait for the emotion model")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("text", "labels")
    @classmethod
    def _jsonpath(cls, value: str) -> str:
        from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
        from jsonpath_ng.ext.parser import parse

        try:
            parse(value)
        except (JsonPathLexerError, JsonPathParserError, ValueError, AttributeError):
            raise ValueError(f"{value!r} is not a valid JSONPath expression (e.g. '$.inputs', '$[*]')") from None
        return value


class TenantKey(BaseModel):
    tenant: str = Field(min_length=1, max_length=128, description="The tenant this key belongs to")
    key_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$",
                            description="hex SHA-256 of the API key; the key itself is never stored")
    scopes: list[Literal["proxy", "admin"]] = Field(
        default_factory=lambda: ["proxy"],  # type: ignore[arg-type]
        description="proxy: model and emotion routes; admin: consent, decision, erasure and report routes")


class TenantSettings(BaseModel):
    upstream_keys: dict[str, CredentialSource] = Field(
        default_factory=dict,
        description="Per-upstream credentials for this tenant: 'openai', 'anthropic' or 'emotion.<route>'",
    )


class AuthSettings(BaseModel):
    enabled: bool = Field(default=False, description="Require an API key (Authorization: Bearer or x-api-key)")
    keys: list[TenantKey] = Field(default_factory=list, description="API keys, stored as SHA-256 digests")
    tenants: dict[str, TenantSettings] = Field(default_factory=dict, description="Per-tenant settings")

    def upstream_key(self, tenant: str, upstream: str) -> str | None:
        """The tenant's own credential for an upstream, if configured and present."""
        settings = self.tenants.get(tenant)
        source = settings.upstream_keys.get(upstream) if settings else None
        return source.read() if source else None


class GuardSettings(BaseSettings):
    """Everything Empathy Guard can be told. Defaults run with no file, no server and no API key."""

    model_config = SettingsConfigDict(
        env_prefix="GUARD_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: str = Field(default=".guard", description="Where embedded state lives (keys, SQLite, audit)")
    server: ServerSettings = Field(default_factory=ServerSettings)
    upstreams: UpstreamsSettings = Field(default_factory=UpstreamsSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    consent: ConsentSettings = Field(default_factory=ConsentSettings)
    pii: PIISettings = Field(default_factory=PIISettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    emotion_routes: dict[str, EmotionRoute] = Field(
        default_factory=dict, description="Emotion models served at POST /guard/emotion/<name>")
    auth: AuthSettings = Field(default_factory=AuthSettings)
    subject_key_file: str | None = Field(
        default=None, description="Key for hashing subject ids; default <data_dir>/subject.key"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives through init kwargs (see load_settings), so env must outrank it:
        # environment first, then the file's values, then defaults.
        return (env_settings, init_settings)

    def data_path(self, *parts: str) -> Path:
        return Path(self.data_dir).joinpath(*parts)


def find_config_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to read: the argument, else $GUARD_CONFIG, else ./guard.yaml if present."""
    if path is not None:
        return Path(path)
    env = os.environ.get("GUARD_CONFIG")
    if env:
        return Path(env)
    default = Path("guard.yaml")
    return default if default.is_file() else None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the config file {path}: {exc.strerror}.",
            hint="Check the path given with --config or $GUARD_CONFIG.",
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"The config file {path} is not valid YAML{where}.", hint="Fix the syntax.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"The config file {path} must hold a mapping of keys at the top level.")
    return data


def _describe(exc: ValidationError, source: str) -> ConfigError:
    problems = []
    for error in exc.errors()[:10]:
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problems.append(f"{where}: {error['msg']}")
    return ConfigError(
        f"Invalid configuration in {source}: " + "; ".join(problems) + ".",
        hint="See docs/configuration.md for every key and its type.",
    )


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> GuardSettings:
    """Load settings from the config file (if any) and the environment; raise ConfigError if invalid."""
    config_file = find_config_file(path)
    values: dict[str, Any] = _read_yaml(config_file) if config_file else {}
    values.update(overrides)
    source = str(config_file) if config_file else "the environment"
    try:
        return GuardSettings(**values)
    except ValidationError as exc:
        raise _describe(exc, source) from None
