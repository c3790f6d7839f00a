"""Settings: one typed object, read once from the environment (and `.env` when present)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

__all__ = ["Secret", "Settings", "SettingsError", "load_dotenv_file"]

ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")


class Secret:
    """A value that never shows itself in a repr, a log line or an error message."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class SettingsError(Exception):
    """The settings are not usable; `problems` holds one sentence per setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def load_dotenv_file(path: Path) -> dict[str, str]:
    """Read a .env file with python-dotenv (the format Python tools share: quotes, `export `, comments,
    `${VAR}` expansion). Keys without a value are skipped."""
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


# --- parsers: each takes the raw text and returns the value or raises ValueError with a reason ---


def _text(raw: str) -> str:
    return raw


def _secret(raw: str) -> Secret:
    return Secret(raw)


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not a whole number") from None


def _port(raw: str) -> int:
    value = _int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("is not a port (0 to 65535)")
    return value


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("is not a number")
    return value


def _positive_float(raw: str) -> float:
    value = _number(raw)
    if value <= 0:
        raise ValueError("must be more than 0")
    return value


def _price(raw: str) -> float:
    value = _number(raw)
    if value < 0:
        raise ValueError("is negative")
    return value


def _seconds(raw: str) -> float:
    value = _number(raw)
    if value < 0:
        raise ValueError("is negative (0 means: don't wait)")
    return value


def _gigabytes(raw: str) -> float | None:
    if raw.lower() in ("none", "unlimited"):
        return None
    return _positive_float(raw)


def _positive_int(raw: str) -> int:
    value = _int(raw)
    if value <= 0:
        raise ValueError("must be a whole number more than 0")
    return value


def _snowflake(raw: str) -> int:
    value = _int(raw)
    if value <= 0:
        raise ValueError("is not a Discord id (a positive whole number)")
    return value


def _snowflakes(raw: str) -> frozenset[int]:
    """Discord ids, separated by commas or spaces (an empty value: none)."""
    return frozenset(_snowflake(part) for part in raw.replace(",", " ").split())


def _limit(raw: str) -> int | None:
    """A quota limit: a whole number >= 0, or `none`/`unlimited` for no limit."""
    if raw.strip().lower() in {"none", "unlimited", "off"}:
        return None
    value = _int(raw)
    if value < 0:
        raise ValueError("is negative (use 0 to close, or none for unlimited)")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("is not true or false")


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("is not an http(s) URL")
    return raw.rstrip("/")


def _postgres_url(raw: str) -> str:
    """A postgresql:// URL whose parts can be read (the value is never echoed: it holds a password). A password
    with `#`, `/`, `?`, `@` or `:` breaks the URL apart (its start would be read as the port) unless encoded."""
    parts = urlsplit(raw)
    if parts.scheme not in {"postgresql", "postgres"} or not parts.netloc:
        raise ValueError("is not a postgresql:// URL")
    try:
        parts.port  # noqa: B018 (raises when the URL falls apart)
        valid = bool(parts.hostname) and "#" not in raw and "?" not in parts.netloc
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(
            "is not a valid postgresql:// URL: percent-encode any of # / ? @ : in the user name or password "
            "(# as %23, / as %2F, ? as %3F, @ as %40, : as %3A)"
        )
    return raw


def _ws_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"ws", "wss"} or not parts.netloc:
        raise ValueError("is not a ws(s) URL")
    return raw


def _aspect_ratio(raw: str) -> str:
    if raw not in ASPECT_RATIOS:
        raise ValueError(f"is not one of {', '.join(ASPECT_RATIOS)}")
    return raw


def _log_level(raw: str) -> str:
    value = raw.upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("is not DEBUG, INFO, WARNING or ERROR")
    return value


def _time_of_day(raw: str) -> time:
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError("is not a time of day like 03:00") from None


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"text", "json"}:
        raise ValueError("is not text or json")
    return value


def _log_levels(raw: str) -> tuple[tuple[str, str], ...]:
    """`bot.jobs=DEBUG,bot.web=WARNING`: a level per module (a logger and those under it)."""
    levels: dict[str, str] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        name, sep, level = part.partition("=")
        if not sep or not name.strip() or not re.fullmatch(r"[\w.]+", name.strip()):
            raise ValueError(f"{part.strip()!r} is not module=LEVEL (e.g. bot.jobs=DEBUG)")
        levels[name.strip()] = _log_level(level.strip())
    return tuple(levels.items())


def _bucket_problems(values: dict[str, Any]) -> list[str]:
    parts = ("endpoint_url", "region", "access_key_id", "secret_access_key", "prefix")
    given = [f"MEDIA_S3_{part.upper()}" for part in parts if f"media_s3_{part}" in values]
    if given and "media_s3_bucket" not in values:
        return [f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} set but MEDIA_S3_BUCKET is not"]
    if ("media_s3_access_key_id" in values) != ("media_s3_secret_access_key" in values):
        return ["MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together (or neither, for AWS's own)"]
    return []


def _setting(env: str, parse: Callable[[str], Any], default: Any = None) -> Any:
    return field(default=default, metadata={"env": env, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """Every setting of the bot. `.env.example` documents each one with its default."""

    discord_token: Secret | None = _setting("DISCORD_TOKEN", _secret)
    api_token: Secret | None = _setting("ACEDATACLOUD_API_TOKEN", _secret)
    api_base: str = _setting("ACEDATACLOUD_API_BASE_URL", _http_url, "https://api.acedata.cloud")
    database_path: Path = _setting("DATABASE_PATH", Path, Path("./data/luma-bot.sqlite3"))
    # PostgreSQL instead of the SQLite file (hosts whose disk does not last): needs pip install 'luma-bot[postgres]'
    database_url: str | None = _setting("DATABASE_URL", _postgres_url)
    # The bot's copies of the results (the API's links expire): empty means a media/ folder beside the database.
    media_dir: Path | None = _setting("MEDIA_DIR", Path)
    media_max_file_mb: int = _setting("MEDIA_MAX_FILE_MB", _positive_int, 200)
    # At most this much storage (disk or bucket) for the copies: the oldest are pruned first (their history
    # and Discord attachments stay). `none` for no limit.
    media_max_gb: float | None = _setting("MEDIA_MAX_GB", _gigabytes, 20.0)
    # How long a finished video waits for its copy before it is posted (with the file, or with the link).
    archive_wait: float = _setting("ARCHIVE_WAIT", _seconds, 10.0)
    # A file a member attaches to a command is an ephemeral attachment: Discord removes it after a time it does not
    # state. Until this many seconds after it was sent, the API is handed its Discord link; later, the bot's own kept
    # copy (served under PUBLIC_BASE_URL), or the member is asked again.
    upload_link_lifetime: float = _setting("UPLOAD_LINK_LIFETIME", _positive_float, 900.0)
    # A copy that failed for a reason that passes (the CDN, the network, a full disk) is tried again this
    # often (seconds), for up to a day.
    media_retry_interval: float = _setting("MEDIA_RETRY_INTERVAL", _positive_float, 600.0)
    # The copies in an S3-compatible bucket instead of MEDIA_DIR (hosts whose disk does not last): needs
    # pip install 'luma-bot[s3]'. MEDIA_DIR is then only a scratch folder for downloads on their way.
    media_s3_bucket: str | None = _setting("MEDIA_S3_BUCKET", _text)
    media_s3_endpoint_url: str | None = _setting("MEDIA_S3_ENDPOINT_URL", _http_url)  # empty: AWS S3 itself
    media_s3_region: str | None = _setting("MEDIA_S3_REGION", _text)
    # Empty: the usual AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a role of the machine).
    media_s3_access_key_id: str | None = _setting("MEDIA_S3_ACCESS_KEY_ID", _text)
    media_s3_secret_access_key: Secret | None = _setting("MEDIA_S3_SECRET_ACCESS_KEY", _secret)
    media_s3_prefix: str = _setting("MEDIA_S3_PREFIX", _text, "luma-bot/")
    public_base_url: str | None = _setting("PUBLIC_BASE_URL", _http_url)
    web_host: str = _setting("WEB_HOST", _text, "127.0.0.1")
    web_port: int = _setting("WEB_PORT", _port, 8080)
    callback_secret: Secret | None = _setting("CALLBACK_SECRET", _secret)
    # Served copies: how many are sent at once (past that, 503), and how long one reader may take.
    media_max_streams: int = _setting("MEDIA_MAX_STREAMS", _positive_int, 8)
    media_send_timeout: float = _setting("MEDIA_SEND_TIMEOUT", _positive_float, 120.0)
    # The web port may face the internet: caps on connections and on how long a request may take to arrive.
    web_max_connections: int = _setting("WEB_MAX_CONNECTIONS", _positive_int, 256)
    web_request_timeout: float = _setting("WEB_REQUEST_TIMEOUT", _positive_float, 10.0)
    metrics_public: bool = _setting("METRICS_PUBLIC", _bool, False)
    metrics_token: Secret | None = _setting("METRICS_TOKEN", _secret)
    dev_guild_id: int | None = _setting("DEV_GUILD_ID", _snowflake)
    # The servers the bot serves (ids): it leaves any other it is added to. Empty: any server that adds it.
    allowed_guilds: frozenset[int] = _setting("ALLOWED_GUILDS", _snowflakes, frozenset())
    discord_api_base: str | None = _setting("DISCORD_API_BASE", _http_url)
    discord_gateway_url: str | None = _setting("DISCORD_GATEWAY_URL", _ws_url)
    discord_cdn_url: str | None = _setting("DISCORD_CDN_URL", _http_url)  # where that server's attachments live
    message_content_intent: bool = _setting("MESSAGE_CONTENT_INTENT", _bool, False)
    # Shards in this one process: empty follows Discord's recommendation (GET /gateway/bot), a number overrides it.
    shard_count: int | None = _setting("SHARD_COUNT", _positive_int)
    log_level: str = _setting("LOG_LEVEL", _log_level, "INFO")
    # A standby (PostgreSQL): waits for the database instead of stopping, and takes over within STANDBY_TAKEOVER
    # seconds of the active bot dying or losing the database (`luma-bot run --standby` sets STANDBY).
    standby: bool = _setting("STANDBY", _bool, False)
    standby_takeover: float = _setting("STANDBY_TAKEOVER", _positive_float, 15.0)
    # The bot's own nightly backup: off until BACKUP_DIR is set; once a day after BACKUP_TIME (UTC), BACKUP_KEEP kept.
    backup_dir: Path | None = _setting("BACKUP_DIR", Path)
    backup_keep: int = _setting("BACKUP_KEEP", _positive_int, 7)
    backup_time: time = _setting("BACKUP_TIME", _time_of_day, time(3, 0))
    # The showcase (a server's `/luma-admin settings showcase_channel`): the stars a result needs unless the server
    # chose, how long the star count on a showcase post waits for more reactions before it is edited (seconds), and
    # how far back (hours) the stars of results are read again from Discord at start.
    showcase_stars: int = _setting("SHOWCASE_STARS", _positive_int, 3)
    showcase_edit_delay: float = _setting("SHOWCASE_EDIT_DELAY", _seconds, 5.0)
    showcase_recount_hours: float = _setting("SHOWCASE_RECOUNT_HOURS", _seconds, 48.0)
    # How long a member's `/luma gallery` link opens the server's web gallery (hours).
    gallery_link_hours: float = _setting("GALLERY_LINK_HOURS", _positive_float, 24.0)
    log_format: str = _setting("LOG_FORMAT", _log_format, "text")  # text, or json: one object per line
    log_levels: tuple[tuple[str, str], ...] = _setting("LOG_LEVELS", _log_levels, ())  # per module, over LOG_LEVEL
    # Quotas for every guild, and the most any guild may allow: each guild's admins can make theirs stricter.
    quota_guild_daily: int | None = _setting("QUOTA_GUILD_DAILY", _limit, 50)
    quota_guild_monthly: int | None = _setting("QUOTA_GUILD_MONTHLY", _limit, 500)
    quota_member_daily: int | None = _setting("QUOTA_MEMBER_DAILY", _limit, 5)
    quota_member_monthly: int | None = _setting("QUOTA_MEMBER_MONTHLY", _limit, None)
    quota_guild_concurrent: int | None = _setting("QUOTA_GUILD_CONCURRENT", _limit, 5)
    quota_member_concurrent: int | None = _setting("QUOTA_MEMBER_CONCURRENT", _limit, 2)
    quota_member_cooldown: int | None = _setting("QUOTA_MEMBER_COOLDOWN", _limit, 30)
    quota_guild_waiting: int | None = _setting("QUOTA_GUILD_WAITING", _limit, 20)
    quota_member_waiting: int | None = _setting("QUOTA_MEMBER_WAITING", _limit, 3)
    # The line in front of the API's in-flight cap (per token): how many tasks at once, and how long to wait.
    luma_max_in_flight: int = _setting("LUMA_MAX_IN_FLIGHT", _positive_int, 5)
    queue_timeout: float = _setting("QUEUE_TIMEOUT", _positive_float, 1800.0)
    # The owner's wallet: what one video costs them (any unit: PRICE_UNIT names it), shown as spend in
    # /luma-admin usage; and an optional bot-wide budget per calendar month, after which requests are refused.
    video_price: float | None = _setting("VIDEO_PRICE", _price)
    price_unit: str = _setting("PRICE_UNIT", _text, "")
    monthly_budget: float | None = _setting("MONTHLY_BUDGET", _positive_float)
    # Default video options (per guild overridable).
    default_aspect_ratio: str = _setting("DEFAULT_ASPECT_RATIO", _aspect_ratio, "16:9")
    # Job cadence: when to look at a task first, how often after, and when to give up.
    poll_first_delay: float = _setting("POLL_FIRST_DELAY", _positive_float, 8.0)
    poll_interval: float = _setting("POLL_INTERVAL", _positive_float, 15.0)
    poll_max_interval: float = _setting("POLL_MAX_INTERVAL", _positive_float, 30.0)
    poll_rate: float = _setting("POLL_RATE", _positive_float, 1.0)
    callback_poll_interval: float = _setting("CALLBACK_POLL_INTERVAL", _positive_float, 60.0)
    job_timeout: float = _setting("JOB_TIMEOUT", _positive_float, 900.0)
    # Whether the API lists a task at once is not documented: one it does not know is given this long (seconds)
    # before the job is called lost (refunded).
    task_record_grace: float = _setting("TASK_RECORD_GRACE", _positive_float, 600.0)
    # A task given up on (timed out, or lost) is still looked at every LATE_POLL_INTERVAL seconds for this long:
    # a video the API finishes late is delivered after all (and counted: the API bills it).
    late_result_window: float = _setting("LATE_RESULT_WINDOW", _seconds, 86400.0)
    late_poll_interval: float = _setting("LATE_POLL_INTERVAL", _positive_float, 300.0)
    progress_interval: float = _setting("PROGRESS_INTERVAL", _positive_float, 15.0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        """Read and validate every setting; the environment wins over `.env`."""
        source: dict[str, str] = {}
        if dotenv is not None:
            source.update(load_dotenv_file(dotenv))
        source.update(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            name = f.metadata["env"]
            raw = source.get(name, "").strip()
            if not raw:
                continue
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ValueError as exc:
                problems.append(f"{name} {exc}")  # never the value: it may be a secret pasted in the wrong place
        if "monthly_budget" in values and not values.get("video_price"):
            problems.append("MONTHLY_BUDGET needs VIDEO_PRICE (what one video costs, in the same unit)")
        problems.extend(_bucket_problems(values))
        if values.get("standby") and not values.get("database_url"):
            problems.append("STANDBY needs DATABASE_URL: a standby shares the database over PostgreSQL")
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    def require(self, *names: str) -> None:
        """Fail with one clear sentence per missing required setting (by attribute name)."""
        missing = [self.env_name(n) for n in names if not getattr(self, n)]
        if missing:
            raise SettingsError(
                [f"{env} is not set: put it in the environment or in .env (see .env.example)" for env in missing]
            )

    @staticmethod
    def env_name(attribute: str) -> str:
        for f in fields(Settings):
            if f.name == attribute:
                return str(f.metadata["env"])
        raise KeyError(attribute)

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.database_path.parent / "media"

    @property
    def database_name(self) -> str:
        """Where the data lives, for messages: the SQLite file, or the PostgreSQL database (no password)."""
        if self.database_url:
            parts = urlsplit(self.database_url)
            return f"{parts.scheme}://{parts.hostname}:{parts.port or 5432}{parts.path}"
        return str(self.database_path)

    @property
    def callbacks_enabled(self) -> bool:
        return self.public_base_url is not None
