"""Every setting of a process, declared once (``coachops.settings``): each default loads,
each malformed value is refused naming its variable, and the README's table and
``deploy/nameko.yml`` say what the declaration says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coachops import settings
from coachops.settings import SETTINGS, SettingError

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = settings.load({})

# A value each setting refuses, and why (the readers of plain text refuse nothing).
MALFORMED: dict[str, tuple[str, str]] = {
    "COACHOPS_ENV": ("prod", "one of development, production"),
    "AMQP_URI": ("rabbitmq:5672", "amqp://"),
    "CYCLES_DATABASE_URL": ("mysql://db/cycles", "postgresql://"),
    "TIMETRACKING_DATABASE_URL": ("postgresql://", "postgresql://"),
    "AGREEMENTS_DATABASE_URL": ("postgresql://db:port/x", "not a URL"),
    "REPORTING_DATABASE_URL": ("coachops_reporting", "postgresql://"),
    "GATEWAY_DATABASE_URL": ("localhost:5432", "postgresql://"),
    "COACHOPS_MASTER_KEY": ("c2hvcnQ=", "32 random bytes in base64, not 5"),
    "COACHOPS_TOKEN_MAX_HOURS": ("twelve", "not a number"),
    "COACHOPS_INTEGRATION_TOKEN_MAX_DAYS": ("400", "at most 366"),
    "GATEWAY_ADDRESS": ("8000", "host:port"),
    "GATEWAY_ANSWER_SECONDS": ("0", "more than 0"),
    "GATEWAY_ROLES_SECONDS": ("-1", "at least 0"),
    "GATEWAY_RATE_LIMIT": ("nan", "more than 0"),
    "GATEWAY_RATE_BURST": ("1.5", "not a whole number"),
    "MAX_WORKERS": ("0", "from 1 up"),
    "REPORTING_MAX_WORKERS": ("many", "not a whole number"),
    "REPORTING_BATCH_SIZE": ("-5", "from 1 up"),
    "RELAY_POLL_SECONDS": ("inf", "more than 0"),
    "RELAY_BATCH_SIZE": ("500 events", "not a whole number"),
    "REPORTING_GAP_CHECK_SECONDS": ("5s", "not a number"),
    "REPORTING_REPORT_CACHE_SIZE": ("-1", "from 0 up"),
    "REPORTING_REPORT_CACHE_MB": ("64MB", "not a number"),
    "REPORTING_SUPPRESSION_THRESHOLD": ("0", "from 1 up"),
    "DISTRICT_TIMEZONE": ("Eastern", "not a time zone"),
    "SCHOOL_YEAR_START": ("02-29", "MM-DD"),
    "COACHING_SHARE_TARGET": ("40%", "not a number"),
    "ROSTER_PRINCIPAL_ROLES": ("teacher", "principal and administrator"),
    "METRICS_PORT": ("70000", "from 0 to 65535"),
    "DEMO_METRICS_PORT": ("65535", "from 1 to 65531"),
    "LOG_LEVEL": ("info", "one of DEBUG"),
    "COACHOPS_ADMIN_URL": ("postgres", "postgresql://"),
    "DB_PREFIX": ("coachops-district", "lower-case letters"),
    "OIDC_ISSUER": ("accounts.google.com", "not a URL"),
    "OIDC_SCOPES": ("email profile", "with openid"),
    "OIDC_ROSTER_CLAIM": ("sourced id", "one claim"),
    "GATEWAY_PUBLIC_URL": ("coaching.district.org", "not a URL"),
    "SESSION_IDLE_MINUTES": ("0", "more than 0"),
    "SESSION_MAX_HOURS": ("a day", "not a number"),
    "COACHOPS_TOKEN_PASTE": ("yes", "one of auto, on, off"),
}
ANY_TEXT = {"COACHOPS_TOKEN_SECRET", "COACHOPS_DB_PASSWORD", "COACHOPS_FAULT",
            "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"}


def test_every_setting_has_a_default_that_loads() -> None:
    assert DEFAULTS.max_workers == 10 and DEFAULTS.token_max_hours == 12.0
    assert DEFAULTS.school_year_start == (8, 1) and str(DEFAULTS.district_timezone) == \
        "America/New_York"
    assert DEFAULTS.database_url("reporting") == DEFAULTS.reporting_database_url
    for declared in SETTINGS:
        assert declared.value({}) == declared.read(declared.default), declared.name
        assert declared.help, f"{declared.name} says what it is for"


def test_every_setting_is_declared_once_and_checked_here() -> None:
    names = [declared.name for declared in SETTINGS]
    assert len(names) == len(set(names))
    assert set(names) == set(MALFORMED) | ANY_TEXT


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_value_is_refused_naming_its_setting(name: str) -> None:
    value, why = MALFORMED[name]
    with pytest.raises(SettingError) as refused:
        settings.load({name: value})
    assert refused.value.name == name
    assert str(refused.value).startswith(f"{name}: ") and why in str(refused.value)


def test_the_coaching_share_target_is_a_share_from_0_to_1() -> None:
    assert DEFAULTS.coaching_share_target == 0.4
    assert settings.load({"COACHING_SHARE_TARGET": "0.35"}).coaching_share_target == 0.35
    for share in ("1.5", "-0.1", "nan"):
        with pytest.raises(SettingError, match=r"^COACHING_SHARE_TARGET: .*at least 0, at most 1"):
            settings.load({"COACHING_SHARE_TARGET": share})


def test_an_empty_value_is_the_default() -> None:
    assert settings.load({"RELAY_BATCH_SIZE": "", "DISTRICT_TIMEZONE": ""}) == DEFAULTS


def test_the_first_bad_setting_is_the_one_named() -> None:
    with pytest.raises(SettingError, match=r"^AMQP_URI: "):
        settings.load({"MAX_WORKERS": "x", "AMQP_URI": "x"})  # AMQP_URI is declared first


def test_a_secret_may_come_from_a_file_but_not_from_both(tmp_path: Path) -> None:
    secret = tmp_path / "token-secret"
    secret.write_text("the district's own secret\n")
    loaded = settings.load({"COACHOPS_TOKEN_SECRET_FILE": str(secret)})
    assert loaded.token_secret == "the district's own secret"
    with pytest.raises(SettingError, match=r"^COACHOPS_TOKEN_SECRET: set it or .*_FILE, not both"):
        settings.load({"COACHOPS_TOKEN_SECRET_FILE": str(secret), "COACHOPS_TOKEN_SECRET": "x"})
    with pytest.raises(SettingError, match=r"^COACHOPS_DB_PASSWORD_FILE: cannot read"):
        settings.load({"COACHOPS_DB_PASSWORD_FILE": str(tmp_path / "none")})


def test_production_refuses_the_development_secrets_a_process_uses() -> None:
    production = {"COACHOPS_ENV": "production"}
    gateway = [settings.TOKEN_SECRET]
    with pytest.raises(SettingError, match=r"^COACHOPS_TOKEN_SECRET: must be set"):
        settings.load(production, gateway)
    with pytest.raises(SettingError, match=r"^COACHOPS_TOKEN_SECRET: must be set"):
        settings.load({**production, "COACHOPS_TOKEN_SECRET": settings.DEV_TOKEN_SECRET},
                      gateway)
    assert settings.load({**production, "COACHOPS_TOKEN_SECRET": "the district's own"},
                         gateway).production
    # Reporting holds neither: it starts without them.
    assert settings.load(production).token_secret == settings.DEV_TOKEN_SECRET


def test_start_stops_the_process_with_one_line_naming_the_setting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(settings, "_current", None)  # put back after the test
    monkeypatch.setenv("REPORTING_GAP_CHECK_SECONDS", "often")
    with pytest.raises(SystemExit) as stopped:
        settings.start()
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "coachops: REPORTING_GAP_CHECK_SECONDS: is 'often', not a number\n")


def test_reload_reads_the_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "_current", None)
    monkeypatch.setenv("GATEWAY_RATE_BURST", "7")
    assert settings.current().gateway_rate_burst == 7
    monkeypatch.setenv("GATEWAY_RATE_BURST", "8")
    assert settings.current().gateway_rate_burst == 7  # read once per process
    assert settings.reload().gateway_rate_burst == 8


def test_the_readme_table_is_the_declaration() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- settings: python -m coachops.settings -->\n(.*?)<!-- end of settings",
                      readme, re.DOTALL)
    assert found, "README.md has the settings table between its markers"
    assert found[1] == settings.table(), "run python -m coachops.settings into README.md"


def test_nameko_yml_reads_the_same_variables_with_the_same_defaults() -> None:
    declared = {s.name: s.default for s in SETTINGS}
    used = re.findall(r"\$\{(\w+):([^}]*)\}", (ROOT / "deploy" / "nameko.yml").read_text())
    assert used
    for name, default in used:
        assert declared.get(name) == default, name
