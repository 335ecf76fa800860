"""Settings are documented data (tests/test_docs.py checks docs/settings.md), and bad
values are refused."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.config import SETTINGS, ConfigError, load_config
from gateway.migrations import histories, migrate, pending


def test_every_setting_has_help_and_our_prefix_or_twilios():
    for setting in SETTINGS:
        assert setting.env.startswith(("GATEWAY_", "TWILIO_"))
        assert setting.help.strip().endswith(".")


def test_environment_values_are_parsed_and_overrides_win(tmp_path):
    config = load_config(
        {"GATEWAY_SMS_SESSION_HOURS": "6", "GATEWAY_SITE": "Rose Court"},
        {"INSTANCE_PATH": str(tmp_path)},
    )
    assert config["SMS_SESSION_HOURS"] == 6
    assert config["SITE"] == "Rose Court"
    assert config["DATABASE"] == str(tmp_path / "gateway.sqlite3")


@pytest.mark.parametrize("value", ["soon", "0", "-3", "1.5"])
def test_a_bad_number_names_the_setting(value):
    with pytest.raises(ConfigError, match="GATEWAY_SMS_SESSION_HOURS"):
        load_config({"GATEWAY_SMS_SESSION_HOURS": value})


def test_the_app_refuses_to_start_without_a_secret_key(initialised, tmp_path):
    (tmp_path / "instance" / "secret_key").unlink()
    with pytest.raises(ConfigError, match="secret key"):
        create_app(initialised)
    assert create_app({**initialised, "SECRET_KEY": "set-by-env"}).secret_key


def test_an_unknown_default_flow_is_refused(initialised):
    with pytest.raises(ConfigError, match="no such flow"):
        create_app({**initialised, "DEFAULT_FLOW": "nope"})


def test_migrations_apply_once(db, app):
    assert pending(db) == []
    assert migrate(db) == []
    names = {row["name"] for row in db.query("SELECT name FROM migrations")}
    assert names == {
        migration.__name__
        for history in histories()
        for migration in history.migrations
    }


def test_a_broken_flow_file_stops_the_app_with_its_problems(initialised, tmp_path):
    extra = tmp_path / "our-flows"
    extra.mkdir()
    (extra / "broken.yaml").write_text(
        "id: broken\nversion: 1\ntitle: Broken\nsteps:\n  - id: a\n    kind: txt\n"
        "    text: Hello\n",
        encoding="utf-8",
    )
    expected = r"broken.yaml:5: step 'a': unknown step kind"
    with pytest.raises(ConfigError, match=expected):
        create_app({**initialised, "FLOWS_PATH": str(extra)})
