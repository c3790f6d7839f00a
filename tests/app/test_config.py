"""Settings: defaults, validation messages, .env, and secrets that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Secret, Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({}, dotenv=None)
    assert settings.api_base == "https://api.acedata.cloud"
    assert settings.database_path == Path("./data/luma-bot.sqlite3")
    assert settings.web_port == 8080 and settings.public_base_url is None
    assert settings.api_token is None and not settings.callbacks_enabled


def test_values_are_parsed_and_secrets_hidden() -> None:
    env = {
        "DISCORD_TOKEN": "discord-secret",
        "ACEDATACLOUD_API_TOKEN": "api-secret",
        "CALLBACK_SECRET": "cb-secret",
        "PUBLIC_BASE_URL": "https://bot.example.org/",
        "WEB_PORT": "9000",
        "DEV_GUILD_ID": "123456789012345678",
        "QUOTA_GUILD_DAILY": "none",
        "QUOTA_MEMBER_DAILY": "0",
    }
    settings = Settings.from_env(env, dotenv=None)
    assert settings.api_token == Secret("api-secret") and settings.api_token.get() == "api-secret"
    assert settings.public_base_url == "https://bot.example.org" and settings.callbacks_enabled
    assert settings.web_port == 9000 and settings.dev_guild_id == 123456789012345678
    assert settings.quota_guild_daily is None and settings.quota_member_daily == 0
    shown = repr(settings) + str(settings)
    for secret in ("discord-secret", "api-secret", "cb-secret"):
        assert secret not in shown


def test_every_problem_is_reported_in_words() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(
            {
                "WEB_PORT": "http",
                "PUBLIC_BASE_URL": "bot.example",
                "QUOTA_GUILD_DAILY": "-1",
                "DEFAULT_ASPECT_RATIO": "2:1",
                "ACEDATACLOUD_API_TOKEN": "keep-me-secret",
            },
            dotenv=None,
        )
    problems = info.value.problems
    assert len(problems) == 4
    assert "WEB_PORT is not a whole number" in problems
    assert "PUBLIC_BASE_URL is not an http(s) URL" in problems
    assert any(p.startswith("QUOTA_GUILD_DAILY is negative") for p in problems)
    assert "keep-me-secret" not in str(info.value)


def test_a_secret_pasted_into_the_wrong_setting_is_never_printed() -> None:
    """Point 13: a token pasted into WEB_PORT is named as a problem, its value never shown."""
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"WEB_PORT": "MTA5ODc2NTQzMjEw.secret-token", "DEV_GUILD_ID": "hunter2"}, dotenv=None)
    assert info.value.problems == [
        "WEB_PORT is not a whole number",
        "DEV_GUILD_ID is not a whole number",
    ]
    assert "secret-token" not in str(info.value) and "hunter2" not in str(info.value)


def test_missing_required_settings_name_the_variable_and_the_example() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "x"}, dotenv=None)
    with pytest.raises(SettingsError) as info:
        settings.require("discord_token", "api_token")
    assert info.value.problems == [
        "ACEDATACLOUD_API_TOKEN is not set: put it in the environment or in .env (see .env.example)"
    ]


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nexport ACEDATACLOUD_API_TOKEN='from-file'\nWEB_PORT=7000  # trailing\n"
        'DISCORD_TOKEN="quoted # not a comment"\n'
    )
    settings = Settings.from_env({"WEB_PORT": "7100"}, dotenv=dotenv)
    assert settings.api_token is not None and settings.api_token.get() == "from-file"
    assert settings.web_port == 7100
    assert settings.discord_token is not None and settings.discord_token.get() == "quoted # not a comment"


def test_env_example_lists_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    from dataclasses import fields

    for f in fields(Settings):
        assert f"{f.metadata['env']}=" in example, f"{f.metadata['env']} missing from .env.example"


def test_bucket_settings_must_make_sense_together() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"MEDIA_S3_ENDPOINT_URL": "https://r2.example", "MEDIA_S3_REGION": "auto"}, dotenv=None)
    assert info.value.problems == ["MEDIA_S3_ENDPOINT_URL, MEDIA_S3_REGION are set but MEDIA_S3_BUCKET is not"]
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"MEDIA_S3_BUCKET": "videos", "MEDIA_S3_SECRET_ACCESS_KEY": "s3cret"}, dotenv=None)
    assert "go together" in info.value.problems[0] and "s3cret" not in str(info.value)
    settings = Settings.from_env({"MEDIA_S3_BUCKET": "videos"}, dotenv=None)
    assert settings.media_s3_prefix == "luma-bot/" and settings.media_s3_access_key_id is None


async def test_a_database_url_whose_password_breaks_it_apart_is_named_never_printed(tmp_path: Path) -> None:
    """#25: a DATABASE_URL password holding `#` or `/` split the URL (its start read as the port), and `luma-bot run`
    ended in a traceback quoting the piece of the password it had taken for a port."""
    from ..helpers import clean_env
    from ..processes import finish, start

    for url in ("postgresql://luma:pw#se/cret@db.example:5432/luma", "postgresql://luma:pw/secret@db.example/luma"):
        env = clean_env(
            DISCORD_TOKEN="d", ACEDATACLOUD_API_TOKEN="l", DATABASE_URL=url, WORK_DIR=str(tmp_path), WEB_PORT="1"
        )
        code, output = await finish(await start(env), timeout=30)
        assert code == 2 and "Traceback" not in output, output
        assert "DATABASE_URL is not a valid postgresql:// URL: percent-encode" in output and "%23" in output
        assert "pw" not in output and "se" not in output.split("percent-encode")[0] and "cret" not in output
    fine = Settings.from_env(
        {"DISCORD_TOKEN": "d", "ACEDATACLOUD_API_TOKEN": "l", "DATABASE_URL": "postgresql://luma:pw%23se%2Fcret@db/x"},
        dotenv=None,
    )
    assert fine.database_name == "postgresql://db:5432/x"
