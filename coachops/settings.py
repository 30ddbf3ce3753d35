"""Every setting of a coachops process, declared once, read from the environment and
checked when the process starts.

Each field of ``Settings`` is one environment variable, named after the field in capitals
unless it says ``name=``: its default (as it would be written in the environment), how its
text is read and a line saying what it is for.
``load(environ)`` reads and checks them all and raises one ``SettingError`` naming the
first bad one; a process's entry (a service module run by ``nameko run``, the gateway,
every ``python -m`` tool) calls ``start()``, which turns that error into one line on
stderr (``coachops: NAME: why``) and exit status 2, so a typo stops the process before it
serves anything rather than at the first request that needs the value. Code then reads
``current().<field>``.

A secret (``from_file``) may come from a file instead: ``NAME_FILE`` names the file
holding it (as compose and Kubernetes secrets give them); setting both is an error.

``deploy/nameko.yml`` still hands nameko its own keys (``AMQP_URI``, ``max_workers``,
``WEB_SERVER_ADDRESS``, ``LOGGING``) from the same variables; a unit test checks that its
defaults are these.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coachops.privacy.master import DEV_MASTER_KEY, MasterKey, MasterKeyError
from coachops.privacy.master import parse as parse_master_key

T = TypeVar("T")

PRODUCTION = "production"
# The secrets production refuses at their development default, in the processes using them.
MASTER_KEY = "COACHOPS_MASTER_KEY"
TOKEN_SECRET = "COACHOPS_TOKEN_SECRET"
# For development and tests only: production refuses it.
DEV_TOKEN_SECRET = "coachops-development-only-secret-change-me"
SERVICES = ("cycles", "timetracking", "agreements", "reporting", "gateway")
# The broker's password, and each service's database password (``database_secret``):
# named in ``start(...)`` by the processes using them, which production then requires strong.
BROKER = "AMQP_PASSWORD"
ADMIN = "COACHOPS_ADMIN_PASSWORD"  # the PostgreSQL superuser's: backups and restores
# Secrets that are someone's default, refused in production whatever their length.
DEFAULT_SECRETS = frozenset({"change-me", "changeme", "password", "guest", "secret", "admin",
                             "postgres", "coachops", "rabbitmq"})
SECRET_MIN_LENGTH = 16
SECRET_MIN_DISTINCT = 8  # characters: "aaaa..." or "abab..." is long but guessable
EXIT_STATUS = 2  # as argparse's for a bad command line


class SettingError(ValueError):
    """A setting that is missing or malformed; ``name`` is its environment variable."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")
        self.name = name
        self.why = why


@dataclass(frozen=True)
class Setting(Generic[T]):
    name: str  # the environment variable ("": the field's name in capitals, see _declared)
    default: str  # as written in the environment; "" for unset
    read: Callable[[str], T]  # the value from its text; ValueError says why not
    help: str
    from_file: bool = False  # a secret: NAME_FILE may name a file holding it
    shown: str = ""  # the default as the README gives it, when not its text

    def value(self, environ: Mapping[str, str]) -> T:
        text = environ.get(self.name, "")
        if self.from_file:
            path = environ.get(f"{self.name}_FILE", "")
            if path and text:
                raise SettingError(self.name, f"set it or {self.name}_FILE, not both")
            if path:
                try:
                    text = Path(path).read_text().strip()
                except OSError as error:
                    raise SettingError(f"{self.name}_FILE",
                                       f"cannot read {path}: {error.strerror}") from None
        try:
            return self.read(text or self.default)
        except ValueError as error:
            raise SettingError(self.name, str(error)) from None


def setting(default: str, read: Callable[[str], T], help: str, *, name: str = "",
            from_file: bool = False, shown: str = "") -> T:
    """A field of ``Settings``: its variable is ``name``, or else the field's name in capitals
    (filled in by ``_declared``, which knows the field)."""
    declared: Any = field(
        metadata={"setting": Setting(name, default, read, help, from_file, shown)})
    return declared  # type: ignore[no-any-return]  # a dataclass field, read by load()


# Readers: each turns the variable's text into its value or says, in a few words, why not.

def text(value: str) -> str:
    return value


def one_of(*choices: str) -> Callable[[str], str]:
    def read(value: str) -> str:
        if value not in choices:
            raise ValueError(f"is {value!r}; one of {', '.join(choices)}")
        return value
    return read


def ranked(*choices: str) -> Callable[[str], tuple[str, ...]]:
    """A comma-separated list of some of ``choices``, the first ranked first; ``none`` for
    none of them (an empty value is unset: the default)."""
    def read(value: str) -> tuple[str, ...]:
        if value.strip() == "none":
            return ()
        chosen = tuple(c.strip() for c in value.split(",") if c.strip())
        wrong = [c for c in chosen if c not in choices]
        if wrong:
            raise ValueError(f"names {', '.join(map(repr, wrong))}; each is one of "
                             f"{', '.join(choices)}")
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"is {value!r}: each once")
        return chosen
    return read


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    def read(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"is {value!r}, not a whole number") from None
        if number < low or (high is not None and number > high):
            raise ValueError(f"is {number}; from {low}" + (f" to {high}" if high else " up"))
        return number
    return read


def number(low: float, high: float | None = None, above: bool = True) -> Callable[[str], float]:
    """A decimal number greater than ``low`` (or at least ``low``: ``above=False``)."""
    def read(value: str) -> float:
        try:
            amount = float(value)
        except ValueError:
            raise ValueError(f"is {value!r}, not a number") from None
        if (amount <= low if above else amount < low) or amount != amount or (
                high is not None and amount > high) or amount == float("inf"):
            bound = f"more than {low:g}" if above else f"at least {low:g}"
            raise ValueError(f"is {value}; " + bound + (f", at most {high:g}" if high else ""))
        return amount
    return read


def url(*schemes: str) -> Callable[[str], str]:
    def read(value: str) -> str:
        if ";" in value and "amqp" in schemes:  # kombu's failover list: each a broker
            for one in value.split(";"):
                read(one)
            return value
        try:
            parts = urlsplit(value)
            hosts = parts.netloc.rpartition("@")[2]
            # libpq's multi-host form, postgresql://u@h1:p1,h2:p2/db (a primary and its
            # standby): each host is checked as the one host of a URL would be.
            each = ([urlsplit(f"//{host}") for host in hosts.split(",")]
                    if "," in hosts and "postgresql" in schemes else [parts])
            for host_part in each:
                host_part.port  # noqa: B018  # raises ValueError on a port not a number
        except ValueError as error:
            raise ValueError(f"is not a URL ({error})") from None
        if parts.scheme not in schemes or not all(h.hostname for h in each):
            raise ValueError(f"is not a URL starting {' or '.join(s + '://' for s in schemes)}")
        return value
    return read


def optional(read: Callable[[str], str]) -> Callable[[str], str]:
    """``read``, or nothing when unset (a feature left off)."""
    def read_or_unset(value: str) -> str:
        return value and read(value)
    return read_or_unset


def oidc_scopes(value: str) -> str:
    if "openid" not in value.split():
        raise ValueError(f"is {value!r}; the scopes asked of the provider, with openid")
    return " ".join(value.split())


def claim_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_:./-]{1,100}", value):
        raise ValueError(f"is {value!r}; the name of one claim of the ID token, e.g. email")
    return value


def address(value: str) -> str:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"is {value!r}; host:port, e.g. 0.0.0.0:8000")
    return value


def time_zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"is {value!r}, not a time zone (e.g. America/Chicago)") from None


def month_day(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d\d)-(\d\d)", value)
    month, day = (int(match[1]), int(match[2])) if match else (0, 0)
    # 2001: no 29 February, which most years do not have
    if not 1 <= month <= 12 or not 1 <= day <= (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                                 31)[month - 1]:
        raise ValueError(f"is {value!r}; MM-DD, e.g. 08-01")
    return month, day


def district_key(value: str) -> MasterKey:
    try:
        return parse_master_key(value, "the key")
    except MasterKeyError as error:
        raise ValueError(str(error)) from None


def log_level(value: str) -> str:
    if value not in logging.getLevelNamesMapping():
        raise ValueError(f"is {value!r}; one of DEBUG, INFO, WARNING, ERROR")
    return value


def database_prefix(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", value):
        raise ValueError(f"is {value!r}; lower-case letters, digits and _")
    return value


POSTGRES = url("postgresql", "postgres")
POSITIVE = number(0)
COUNT = integer(1)


def database_secret(service: str) -> str:
    """The variable of ``service``'s database password (``CYCLES_DATABASE_PASSWORD``)."""
    return f"{service.upper()}_DATABASE_PASSWORD"


def password(help: str) -> str:
    """A password kept apart from its URL (any characters: the URL gets it escaped)."""
    return setting("", text, help, from_file=True)


def with_password(address: str, secret: str) -> str:
    """``address`` with ``secret`` as its password, escaped, so `@ / : % '` and the rest
    reach the server as they are (psycopg2 and kombu both unescape the user part); in each
    broker of a failover list ``amqp://h1/v;amqp://h2/v`` (kombu's, for a cluster)."""
    if ";" in address:
        return ";".join(with_password(one, secret) for one in address.split(";"))
    parts = urlsplit(address)
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{user}:{quote(secret, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def url_password(address: str) -> str:
    return unquote(urlsplit(address).password or "")


def weakness(secret: str) -> str:
    """Why ``secret`` is no secret, in a few words; "" when it is strong enough."""
    if not secret:
        return "must be set in production"
    if secret.lower() in DEFAULT_SECRETS or "change-me" in secret.lower():
        return "is a default value, refused in production"
    if len(secret) < SECRET_MIN_LENGTH:
        return (f"is {len(secret)} characters; production needs at least "
                f"{SECRET_MIN_LENGTH}")
    if len(set(secret)) < SECRET_MIN_DISTINCT:
        return (f"has {len(set(secret))} different characters; too guessable for "
                "production")
    return ""


def service_database(service: str, help: str) -> str:
    """``<SERVICE>_DATABASE_URL``: by default, a local database and role named for it."""
    return setting(f"postgresql://coachops_{service}@127.0.0.1:5432/coachops_{service}",
                   POSTGRES, help)


@dataclass(frozen=True)
class Settings:
    # The process: where it runs and how it reports.
    environment: str = setting(
        "development", one_of("development", PRODUCTION),
        "production refuses the development token secret and master key, and any secret a "
        "process uses that is missing, a default or weak", name="COACHOPS_ENV")
    amqp_uri: str = setting(
        "amqp://guest:guest@127.0.0.1:5672/", url("amqp", "amqps"),
        "RabbitMQ, with its user and vhost (its password here or in AMQP_PASSWORD); a cluster's "
        "nodes as `amqp://…node1…/vhost;amqp://…node2…/vhost` (clients move to the next)")
    amqp_password: str = setting("", text, "RabbitMQ's password, put into AMQP_URI escaped "
                                 "(any characters)", name=BROKER, from_file=True)
    amqp_queue_type: str = setting(
        "classic", one_of("classic", "quorum"),
        "the type of every durable queue: `quorum` on a RabbitMQ cluster (replicated, survives "
        "losing a node; a vhost's queues of the other type must be moved first), `classic` "
        "on one node")
    consumer_check_seconds: float = setting(
        "5", number(0, 3600, above=False), "how often each queue consumer asks RabbitMQ "
        "whether it still delivers to it, and reconnects if not (0: never)")
    max_workers: int = setting(
        "10", COUNT, "workers per service process (and database connections)")
    log_level: str = setting("INFO", log_level, "the least a service logs")
    log_format: str = setting(
        "plain", one_of("plain", "json"),
        "a service's log lines: `json` (one object a line, with the request's id) or `plain`")
    metrics_port: int = setting(
        "0", integer(0, 65535), "where Prometheus metrics are served (0: off)")
    demo_metrics_port: int = setting(
        "9100", integer(1, 65531),
        "`make demo`: the gateway's metrics port; the services' follow it")
    fault: str = setting(
        "", text, "a named fault point, for crash tests only (`coachops.faults`)",
        name="COACHOPS_FAULT")

    # Databases: each service's own, and what makes them.
    cycles_database_url: str = service_database("cycles", "the cycles service's database")
    timetracking_database_url: str = service_database(
        "timetracking", "the time tracking service's database")
    agreements_database_url: str = service_database(
        "agreements", "the agreements service's database (the roster)")
    reporting_database_url: str = service_database(
        "reporting", "the reporting service's read models")
    gateway_database_url: str = service_database(
        "gateway", "the gateway's database (revoked tokens)")
    cycles_database_password: str = password(
        "the cycles role's password, put into CYCLES_DATABASE_URL escaped")
    timetracking_database_password: str = password(
        "the time tracking role's password, put into TIMETRACKING_DATABASE_URL escaped")
    agreements_database_password: str = password(
        "the agreements role's password, put into AGREEMENTS_DATABASE_URL escaped")
    reporting_database_password: str = password(
        "the reporting role's password, put into REPORTING_DATABASE_URL escaped")
    gateway_database_password: str = password(
        "the gateway role's password, put into GATEWAY_DATABASE_URL escaped")
    admin_url: str = setting(
        "postgresql://postgres@127.0.0.1:5432/postgres", POSTGRES,
        "a PostgreSQL superuser, for backup and restore (`deploy/backup.py`)",
        name="COACHOPS_ADMIN_URL")
    admin_password: str = setting(
        "", text, "the superuser's password, put into COACHOPS_ADMIN_URL escaped",
        name="COACHOPS_ADMIN_PASSWORD", from_file=True)
    db_prefix: str = setting(
        "coachops", database_prefix,
        "what each service's database and role are named after (`<prefix>_<service>`)")
    db_password: str = setting(
        "", text, "the password `python -m coachops.store.admin ensure` gives each role",
        name="COACHOPS_DB_PASSWORD", from_file=True)

    # Secrets and tokens.
    master_key: MasterKey = setting(  # noqa: RUF009  # frozen, as every value here
        DEV_MASTER_KEY, district_key,
        "the district's master key: 32 random bytes in base64 (see \"The master key\")",
        name=MASTER_KEY, from_file=True, shown="the development key, refused in production")
    token_secret: str = setting(
        DEV_TOKEN_SECRET, text, "the key that signs access tokens", name=TOKEN_SECRET,
        from_file=True, shown="the development secret, refused in production")
    token_max_hours: float = setting(
        "12", number(0, 24 * 366), "the longest a person's token lives, in hours",
        name="COACHOPS_TOKEN_MAX_HOURS")
    integration_token_max_days: float = setting(
        "90", number(0, 366), "the longest an integration token lives, in days",
        name="COACHOPS_INTEGRATION_TOKEN_MAX_DAYS")

    # The gateway.
    gateway_address: str = setting("0.0.0.0:8000", address, "where the gateway listens")
    gateway_answer_seconds: float = setting(
        "30", POSITIVE, "how long the gateway waits for a service's answer before a 503")
    gateway_roles_seconds: float = setting("5", number(0, above=False), "how often the gateway"
                                           " asks the roster whose roles changed (0: always)")
    gateway_rate_limit: float = setting(
        "50", POSITIVE, "requests a second from one sign-in, per gateway process")
    gateway_rate_burst: int = setting("100", COUNT, "requests one sign-in may send at once")

    # District sign-in (OpenID Connect, ``gateway.signin``): off while OIDC_ISSUER is unset.
    oidc_issuer: str = setting(
        "", optional(url("https", "http")),
        "the district's OpenID Connect provider (its issuer URL, as its discovery document "
        "says; unset: no district sign-in)")
    oidc_client_id: str = setting("", text, "the client id the provider gave coachops")
    oidc_client_secret: str = setting(
        "", text, "the client secret the provider gave coachops", from_file=True)
    oidc_scopes: str = setting(
        "openid email profile", oidc_scopes, "the scopes asked of the provider")
    oidc_roster_claim: str = setting(
        "email", claim_name,
        "the ID token's claim that finds the person on the roster: `email`, or a claim "
        "carrying the roster's sourcedId")
    gateway_public_url: str = setting(
        "", optional(url("https", "http")),
        "where people reach the gateway (the redirect URI is it + `/auth/callback`; "
        "https makes the session cookie Secure); unset: the request's own host")
    session_idle_minutes: float = setting(
        "60", number(0, 24 * 60), "a browser session ends after this many minutes unused")
    session_max_hours: float = setting(
        "12", number(0, 24 * 31), "a browser session ends this many hours after sign-in")
    token_paste: str = setting(
        "auto", one_of("auto", "on", "off"),
        "developer mode: the dashboard and console also take a pasted token (auto: on in "
        "development, off in production, which refuses on)", name="COACHOPS_TOKEN_PASTE")

    # The outbox relay.
    relay_poll_seconds: float = setting(
        "0.5", POSITIVE, "how often the outbox relay looks for events to publish")
    relay_batch_size: int = setting("500", COUNT, "events the relay publishes in one go")

    # Reporting.
    reporting_max_workers: int = setting(
        "200", COUNT, "reporting's workers per process (report queries, handlers at its writer)")
    reporting_batch_size: int = setting("500", COUNT, "events reporting applies in one transaction")
    reporting_gap_check_seconds: float = setting(
        "5", POSITIVE, "how often reporting looks for events missed on the bus")
    reporting_report_cache_size: int = setting(
        "256", integer(0), "finished reports each reporting process keeps (0: none)")
    reporting_report_cache_mb: float = setting(
        "64", number(0, above=False), "megabytes of finished reports each reporting process keeps")
    reporting_suppression_threshold: int = setting(
        "3", COUNT, "fewest teachers a school or region cell may describe (fewer: suppressed)")

    # The district's calendar.
    district_timezone: ZoneInfo = setting(  # noqa: RUF009  # immutable
        "America/New_York", time_zone, "the district's time zone: what day an instant falls on")
    school_year_start: tuple[int, int] = setting(
        "08-01", month_day, "the first day of a school year, MM-DD")

    # The roster: what the SIS export alone makes of a school's staff.
    roster_principal_roles: tuple[str, ...] = setting(
        "principal,administrator", ranked("principal", "administrator"),
        "the OneRoster roles that make someone at a school its principal, the first ranked "
        "first, unless `assignments.csv` names one: `principal` alone leaves 1.2's other site "
        "administrators (assistant principals) out; `none`: only `assignments.csv` names them")

    # The district's target: one figure, judged alike by the reports, the dashboard and the app.
    coaching_share_target: float = setting(
        "0.4", number(0, 1, above=False),
        "the district's target for the share of logged time spent coaching, 0 to 1: the "
        "reports, the dashboard and the app judge each coaching share against it")

    def database_url(self, service: str) -> str:
        urls = {s: str(getattr(self, f"{s}_database_url")) for s in SERVICES}
        try:
            return urls[service]
        except KeyError:
            raise RuntimeError(f"no database is configured for {service!r}") from None

    @property
    def production(self) -> bool:
        return self.environment == PRODUCTION

    @property
    def sign_in(self) -> bool:
        """Whether people sign in with the district's OpenID Connect provider."""
        return bool(self.oidc_issuer)

    @property
    def pasted_tokens(self) -> bool:
        """Whether the dashboard and console offer to paste a token (developer mode)."""
        return self.token_paste == "on" or (self.token_paste == "auto" and not self.production)


def _declared(f: Field[Any]) -> Setting[Any]:
    declared: Setting[Any] = f.metadata["setting"]
    return declared if declared.name else replace(declared, name=f.name.upper())


SETTINGS: tuple[Setting[Any], ...] = tuple(_declared(f) for f in fields(Settings))


def load(environ: Mapping[str, str], secrets: Collection[str] = ()) -> Settings:
    """Every setting from ``environ``; ``SettingError`` names the first bad one. In
    production each of ``secrets`` (those the process uses) must be the district's own."""
    values = {f.name: _declared(f).value(environ) for f in fields(Settings)}
    # A password given apart goes into its URL here, escaped: every user of the URL (psycopg2,
    # kombu, nameko's AMQP_URI through ``coachops.serve``) then reads it as it is.
    for address, secret in [("amqp_uri", "amqp_password"), ("admin_url", "admin_password"),
                            *((f"{s}_database_url", f"{s}_database_password")
                              for s in SERVICES)]:
        if values[secret]:
            values[address] = with_password(values[address], values[secret])
    loaded = Settings(**values)
    if loaded.oidc_issuer and not loaded.oidc_client_id:
        raise SettingError("OIDC_CLIENT_ID", "must be set with OIDC_ISSUER (the provider gives it)")
    if loaded.production:
        if loaded.token_paste == "on":
            raise SettingError("COACHOPS_TOKEN_PASTE", "pasting tokens is for development: "
                               "production refuses on")
        if loaded.oidc_issuer.startswith("http://"):
            raise SettingError("OIDC_ISSUER", "must be https in production: the provider's "
                               "keys and tokens come from it")
        if TOKEN_SECRET in secrets and loaded.token_secret == DEV_TOKEN_SECRET:
            raise SettingError(TOKEN_SECRET, "must be set to a secret of the district's in "
                               f"production (or {TOKEN_SECRET}_FILE)")
        if MASTER_KEY in secrets and loaded.master_key == parse_master_key(DEV_MASTER_KEY,
                                                                            "default"):
            raise SettingError(MASTER_KEY, "must be set to the district's master key in "
                               f"production (or {MASTER_KEY}_FILE)")
        for name, secret in _in_use(loaded, secrets):
            why = weakness(secret)
            if why:
                raise SettingError(name, f"{why} (`make secrets` writes strong "
                                   "ones)")
    return loaded


def _in_use(loaded: Settings, secrets: Collection[str]) -> list[tuple[str, str]]:
    """Each of ``secrets`` as (the variable to name, its value): a password set apart is
    named as itself, one written into its URL as the URL, a missing one as the password."""
    found = []
    if TOKEN_SECRET in secrets:
        found.append((TOKEN_SECRET, loaded.token_secret))
    if BROKER in secrets:
        secret = url_password(loaded.amqp_uri)
        found.append((BROKER if loaded.amqp_password or not secret else "AMQP_URI", secret))
    if ADMIN in secrets:
        secret = url_password(loaded.admin_url)
        found.append((ADMIN if loaded.admin_password or not secret else "COACHOPS_ADMIN_URL",
                      secret))
    for service in SERVICES:
        if database_secret(service) in secrets:
            secret = url_password(loaded.database_url(service))
            apart = bool(getattr(loaded, f"{service}_database_password")) or not secret
            found.append((database_secret(service) if apart
                          else f"{service.upper()}_DATABASE_URL", secret))
    return found


_current: Settings | None = None


def current() -> Settings:
    """This process's settings (read at ``start()``; on first use where nothing started,
    as in a test)."""
    global _current
    if _current is None:
        _current = load(os.environ)
    return _current


def reload(environ: Mapping[str, str] | None = None, secrets: Collection[str] = ()
           ) -> Settings:
    """Read the settings again (``start``, and tests that change the environment)."""
    global _current
    _current = None
    _current = load(os.environ if environ is None else environ, secrets)
    return _current


def start(*secrets: str) -> Settings:
    """Read and check every setting, or stop the process with one line naming the bad one;
    then log at ``LOG_LEVEL``. ``secrets``: those this process uses (``MASTER_KEY``,
    ``TOKEN_SECRET``, ``BROKER``, ``database_secret(service)``), which production requires
    to be the district's own and strong."""
    try:
        started = reload(secrets=secrets)
    except SettingError as error:
        stop(error)
    logging.getLogger().setLevel(started.log_level)
    return started


def stop(error: SettingError) -> NoReturn:
    print(f"coachops: {error}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_STATUS)



def table() -> str:
    """Every setting as the README's table (Markdown)."""
    rows = ["| variable | default | what it is |", "|---|---|---|"]
    for declared in SETTINGS:
        name = f"`{declared.name}`" + (f" or `{declared.name}_FILE`" if declared.from_file
                                       else "")
        default = declared.shown or (f"`{declared.default}`" if declared.default else "unset")
        rows.append(f"| {name} | {default} | {declared.help} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
