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
    "AMQP_QUEUE_TYPE": ("stream", "one of classic, quorum"),
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
    "CONSUMER_CHECK_SECONDS": ("-1", "at least 0"),
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
    "ROSTER_PRINCIPAL_ROLES": ("principal,teacher",
                               "'teacher'; each is one of principal, administrator"),
    "METRICS_PORT": ("70000", "from 0 to 65535"),
    "DEMO_METRICS_PORT": ("65535", "from 1 to 65531"),
    "LOG_LEVEL": ("info", "one of DEBUG"),
    "LOG_FORMAT": ("xml", "one of plain, json"),
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
            "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "AMQP_PASSWORD", "COACHOPS_ADMIN_PASSWORD",
            *(settings.database_secret(s) for s in settings.SERVICES)}


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


# Every secret a process names in ``start(...)``, set apart (as compose gives them) and the
# other secrets of that process strong, so only the one tried can be refused.
STRONG = "Zq8-vT3_kP0wXy7RmN2sLb"
SECRETS = {
    settings.TOKEN_SECRET: settings.TOKEN_SECRET,
    settings.BROKER: settings.BROKER,
    settings.ADMIN: settings.ADMIN,
    **{settings.database_secret(s): settings.database_secret(s) for s in settings.SERVICES},
}
WEAK = {
    "": "must be set",
    "change-me": "is a default value",
    "Guest": "is a default value",
    "a-change-me-please-now": "is a default value",
    "Sh0rt/p@ss": "is 10 characters; production needs at least 16",
    "abababababababababababab": "has 2 different characters",
}


def production_with(name: str, value: str) -> dict[str, str]:
    environ = {"COACHOPS_ENV": "production", **{secret: STRONG for secret in SECRETS},
               # As compose gives them: users and hosts, the passwords apart.
               "AMQP_URI": "amqp://coachops@rabbitmq:5672/",
               "COACHOPS_ADMIN_URL": "postgresql://postgres@postgres:5432/postgres",
               **{f"{s.upper()}_DATABASE_URL": f"postgresql://coachops_{s}@postgres/coachops_{s}"
                  for s in settings.SERVICES}}
    environ[name] = value
    return environ


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("value", sorted(WEAK))
def test_production_refuses_a_missing_default_or_weak_secret_naming_it(
        name: str, value: str) -> None:
    with pytest.raises(SettingError) as refused:
        settings.load(production_with(name, value), [name])
    assert refused.value.name == name
    assert WEAK[value] in refused.value.why
    assert settings.load(production_with(name, STRONG), [name]).production


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_weak_secret_read_from_its_file_is_refused_naming_it(name: str,
                                                               tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("change-me\n")
    environ = production_with(name, "")
    environ[f"{name}_FILE"] = str(tmp_path / "secret")
    with pytest.raises(SettingError, match=f"^{name}: is a default value"):
        settings.load(environ, [name])


def test_a_password_written_into_its_url_is_checked_as_the_url() -> None:
    production = {"COACHOPS_ENV": "production"}
    with pytest.raises(SettingError, match=r"^AMQP_URI: is a default value"):  # guest:guest
        settings.load(production, [settings.BROKER])
    with pytest.raises(SettingError, match=r"^CYCLES_DATABASE_PASSWORD: must be set"):
        settings.load(production, [settings.database_secret("cycles")])
    with pytest.raises(SettingError, match=r"^CYCLES_DATABASE_URL: is 5 characters"):
        settings.load({**production, "CYCLES_DATABASE_URL": "postgresql://u:short@db/c"},
                      [settings.database_secret("cycles")])
    assert settings.load({**production, "AMQP_URI": f"amqp://u:{STRONG}@mq/v"},
                         [settings.BROKER]).production


def test_development_checks_no_secret_strength() -> None:
    # Tests and `make demo` run on local trust authentication and the guest broker user.
    assert not settings.load({}, list(SECRETS)).production


def test_a_password_of_any_characters_is_escaped_into_its_url() -> None:
    odd = "p@ss/w0rd:'%20 #?&=+"
    loaded = settings.load({
        "AMQP_URI": "amqp://coachops@rabbitmq:5672/vhost", "AMQP_PASSWORD": odd,
        "CYCLES_DATABASE_URL": "postgresql://coachops_cycles@postgres:5432/coachops_cycles",
        "CYCLES_DATABASE_PASSWORD": odd,
        "COACHOPS_ADMIN_URL": "postgresql://postgres:old@db:5432/postgres",
        "COACHOPS_ADMIN_PASSWORD": odd})
    escaped = "p%40ss%2Fw0rd%3A%27%2520%20%23%3F%26%3D%2B"
    assert loaded.amqp_uri == f"amqp://coachops:{escaped}@rabbitmq:5672/vhost"
    assert loaded.cycles_database_url == (
        f"postgresql://coachops_cycles:{escaped}@postgres:5432/coachops_cycles")
    assert loaded.admin_url == f"postgresql://postgres:{escaped}@db:5432/postgres"
    assert settings.url_password(loaded.amqp_uri) == odd
    # Put in again (coachops.serve hands the assembled AMQP_URI on), it is the same URL.
    assert settings.with_password(loaded.amqp_uri, odd) == loaded.amqp_uri
    # What the libraries make of it: kombu's and libpq's own parsing.
    from kombu.utils.url import url_to_parts
    assert url_to_parts(loaded.amqp_uri).password == odd
    from psycopg2.extensions import parse_dsn
    assert parse_dsn(loaded.cycles_database_url)["password"] == odd


def test_a_clusters_brokers_each_get_the_password_and_kombu_fails_over_between_them() -> None:
    odd = "semi;colon@/pass"
    nodes = ["amqp://coachops@rabbit1:5672/district", "amqp://coachops@rabbit2:5672/district",
             "amqp://coachops@rabbit3:5672/district"]
    loaded = settings.load({"AMQP_URI": ";".join(nodes), "AMQP_PASSWORD": odd})
    from kombu import Connection
    connection = Connection(loaded.amqp_uri)
    hosts = [connection.hostname]
    for _ in nodes[1:]:
        connection.switch(next(connection.cycle))  # what kombu does when a node is gone
        hosts.append(connection.hostname)
    assert hosts == ["rabbit1", "rabbit2", "rabbit3"]
    assert connection.password == odd and connection.virtual_host == "district"
    # coachops.serve hands the assembled URI on: put in again, it is the same.
    assert settings.with_password(loaded.amqp_uri, odd) == loaded.amqp_uri
    with pytest.raises(settings.SettingError, match="AMQP_URI"):
        settings.load({"AMQP_URI": f"{nodes[0]};rabbit2:5672"})


def test_a_primary_and_its_standby_in_one_url_get_the_password_and_libpq_reads_both() -> None:
    odd = "p@ss,w0rd:/%?&="
    hosts = "pg1:5432,pg2:5433"
    address = f"postgresql://coachops_cycles@{hosts}/coachops_cycles" \
              "?target_session_attrs=read-write"
    loaded = settings.load({"CYCLES_DATABASE_URL": address, "CYCLES_DATABASE_PASSWORD": odd})
    from psycopg2.extensions import parse_dsn
    parsed = parse_dsn(loaded.cycles_database_url)
    assert (parsed["host"], parsed["port"]) == ("pg1,pg2", "5432,5433")
    assert parsed["password"] == odd and parsed["user"] == "coachops_cycles"
    assert parsed["dbname"] == "coachops_cycles"
    assert parsed["target_session_attrs"] == "read-write"
    assert settings.url_password(loaded.cycles_database_url) == odd
    assert settings.with_password(loaded.cycles_database_url, odd) == loaded.cycles_database_url
    for bad in ("postgresql://u@pg1:5432,pg2:port/db", "postgresql://u@pg1:5432,/db"):
        with pytest.raises(settings.SettingError, match="CYCLES_DATABASE_URL"):
            settings.load({"CYCLES_DATABASE_URL": bad})
