"""Several Rasa processes behind HAProxy, on PostgreSQL and Redis: what ``bot serve --replicas N`` runs.

Usage (``make run-cluster``, tests/test_cluster.py)::

    check_cluster_settings(settings, replicas)          # PostgreSQL and Redis, or a French error
    plan = cluster_plan(settings, replicas, folder)     # internal ports and the proxy's configuration file
    with Supervisor() as supervisor:
        *servers, proxy = cluster_children(settings, model, plan)
        supervisor.start(*servers)
        supervisor.start(proxy)

HAProxy (Debian's package) listens where one process would: RASA_PORT for the channels (REST,
the chat bubble's WebSocket, Telegram's webhook, Rasa's HTTP API that the console uses) and
WEB_PORT for the web app; behind it, N Rasa servers and the web app listen on loopback ports
chosen at start. No sticky sessions: any replica can carry any conversation, because the
conversations' locks, what people say before consenting and the pushes to the bubble live in
Redis and the tracker store in PostgreSQL (docs/architecture.md). HAProxy checks each replica
every 2 seconds and stops sending to one that refuses connections or says it is loading; a replica
loading its model does not take its port (no ``bot.rasa.loading`` placeholder behind the proxy).
A request whose connection failed, or that got no answer because its replica died, is sent again
to another (``retry-on``, ``option redispatch 1``): the
turn then waits for the dead process's lock to expire (Rasa's lock lifetime) and is played once.
The proxy starts last, once every process behind it serves.
The action server runs ACTION_WORKERS processes on one port (Sanic's workers); the scheduled
jobs run in the one web app, once, as with one process.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from bot.config import DATA_DIR, Settings
from bot.errors import BotError
from bot.rasa.server import BEHIND_PROXY
from bot.supervise import Child

HAPROXY = "haproxy"
BUBBLE_SOCKET = "/webhooks/web/socket"  # bot.rasa.channels.chat_bubble's WebSocket
LOGIN_PATH = "/console/login"  # bot.console.auth
LOGINS_PER_ADDRESS = 30  # tries of the console's login form in 10 minutes from one address, whatever the accounts
TOO_MANY_LOGINS = "<p>Trop de tentatives de connexion depuis cette adresse. Réessayez dans quelques minutes.</p>"
PROXY_HEALTH = "/proxy/health"  # answered by HAProxy itself: the proxy is up (not what is behind it)
# A turn may wait for its conversation's lock: as long as Rasa's lock lifetime (60 s) when the
# process that held it died, plus the turn itself. The proxy must not cut it before.
SERVER_TIMEOUT_S = 180


@dataclass(frozen=True)
class ClusterPlan:
    """Where each process of the cluster listens, and the proxy's configuration file."""

    replica_ports: tuple[int, ...]
    web_port: int  # the web app's own port, behind the proxy
    stats_port: int  # HAProxy's statistics (CSV), loopback only
    config: Path


def check_cluster_settings(settings: Settings, replicas: int) -> None:
    """Refuse, in French, a cluster that would not share its state: SQLite or no Redis."""
    if replicas < 2:
        return
    problems = []
    if not settings.redis_url:
        problems.append("REDIS_URL est vide (les verrous des conversations doivent être partagés)")
    if settings.tracker_store_url.startswith("sqlite") or settings.tracker_dialect == "sqlite":
        problems.append("TRACKER_STORE_URL est une base SQLite (utilisez PostgreSQL, TRACKER_DIALECT=postgresql)")
    if settings.database_url.startswith("sqlite"):
        problems.append("DATABASE_URL est une base SQLite (utilisez PostgreSQL)")
    if settings.proxy_tls_cert and not os.access(settings.proxy_tls_cert, os.R_OK):
        problems.append(f"PROXY_TLS_CERT ne désigne pas un fichier lisible ({settings.proxy_tls_cert})")
    if shutil.which(HAPROXY) is None:
        problems.append("HAProxy n'est pas installé (sudo apt-get install haproxy)")
    if problems:
        raise BotError(
            f"Plusieurs processus Rasa ({replicas}) demandent un état partagé : " + " ; ".join(problems)
            + ". Voir docs/deploy.md."
        )  # fmt: skip


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when the server has none of that name (make run-cluster)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    target = make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        return
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        connection = engine.connect()
    except OperationalError as error:
        engine.dispose()
        raise BotError(
            f"PostgreSQL ne répond pas sur {target.host or 'localhost'}:{target.port or 5432} "
            f"({type(error.orig).__name__}) : démarrez-le ou corrigez DATABASE_URL (docs/deploy.md)"
        ) from None
    try:
        with connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if exists is None:
                connection.execute(text(f'CREATE DATABASE "{target.database.replace(chr(34), "")}"'))
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cluster_plan(settings: Settings, replicas: int, folder: Path) -> ClusterPlan:
    """Pick the internal ports and write the proxy's configuration into ``folder``.

    The folder (var/cluster) and var/ itself are private to the service's account (0700), and the
    file (0600) replaces the previous one whole: HAProxy never reads half of it.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    inside = [parent for parent in folder.resolve().parents if _under(parent, DATA_DIR)]  # var/ when under it
    for private in (folder, *inside):
        private.chmod(0o700)
    plan = ClusterPlan(
        replica_ports=tuple(_free_port() for _ in range(replicas)),
        web_port=_free_port(),
        stats_port=_free_port(),
        config=folder / "haproxy.cfg",
    )
    written = plan.config.with_name(plan.config.name + ".new")
    with open(os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        handle.write(haproxy_config(settings, plan))
    os.chmod(written, 0o600)
    os.replace(written, plan.config)
    return plan


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def haproxy_config(settings: Settings, plan: ClusterPlan) -> str:
    """HAProxy's configuration: the channels on RASA_PORT to the replicas, WEB_PORT to the web app."""
    tls = f" ssl crt {settings.proxy_tls_cert}" if settings.proxy_tls_cert else ""
    limit = f" maxconn {settings.proxy_turns_per_replica}" if settings.proxy_turns_per_replica > 0 else ""
    per_address = _per_address(settings.proxy_connections_per_address)
    numbered = list(enumerate(plan.replica_ports, start=1))
    replicas = "\n".join(f"    server rasa{n} 127.0.0.1:{port} check{limit}" for n, port in numbered)
    sockets = "\n".join(f"    server rasa{n} 127.0.0.1:{port} track rasa_replicas/rasa{n}" for n, port in numbered)
    return f"""# Written by bot serve --replicas {len(plan.replica_ports)} (bot/cluster.py) at each start.
global
    maxconn 4096
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets  # with PROXY_TLS_CERT

defaults
    mode http
    timeout connect 2s
    timeout client {SERVER_TIMEOUT_S}s
    timeout server {SERVER_TIMEOUT_S}s
    timeout http-request 10s
    timeout tunnel 1h
    option forwardfor
    option redispatch 1
    retries 3
    # sent again to another replica: no connection, a replica that died before answering, or one
    # warming its model up (503 from the REST channel)
    retry-on conn-failure empty-response junk-response 503
    option http-buffer-request  # the whole message before a replica is chosen: else it cannot be sent again

frontend assistant
    bind {settings.rasa_host}:{settings.rasa_port}{tls}
{per_address}    http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]
    monitor-uri {PROXY_HEALTH}
    use_backend rasa_sockets if {{ path_beg {BUBBLE_SOCKET} }}
    default_backend rasa_replicas

backend rasa_replicas
    balance roundrobin
    option httpchk GET /webhooks/rest/
    http-check expect status 200
    # A busy replica answers its check late (one event loop, busy with turns): it is not dead. A
    # killed one refuses the connection at once, and one loading its model says 503 at once.
    timeout check 15s
    # With PROXY_TURNS_PER_REPLICA (maxconn), the turns beyond it wait in line here, first come
    # first served, instead of all slowing each other down in one replica's event loop.
    timeout queue {SERVER_TIMEOUT_S}s
    # A refused connection marks the replica down at once (killed: its port is closed), not after
    # three checks: else, the others being at their limit, every retry went back to the dead one.
    default-server inter 2s fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down
{replicas}

backend rasa_sockets
    # The chat bubble's WebSockets: open for an hour, so never counted against the turns' limit;
    # the bubble's turns are read on its socket by the replica that holds it. Health as above.
    balance leastconn
{sockets}

frontend web
    bind {settings.web_host}:{settings.web_port}{tls}
{per_address}{_login_limit()}    # the web app builds the bubble's wss:// address from it (uvicorn --proxy-headers)
    http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]
    default_backend web_app

backend web_app
    server web 127.0.0.1:{plan.web_port} check inter 2s

backend login_attempts
    stick-table type ipv6 size 100k expire 10m store http_req_rate(10m)

listen stats
    bind 127.0.0.1:{plan.stats_port}
    stats enable
    stats uri /
"""


def _login_limit() -> str:
    """The web frontend's lines refusing, politely, more than LOGINS_PER_ADDRESS tries in 10 minutes."""
    page = f'content-type "text/html; charset=utf-8" string "{TOO_MANY_LOGINS}"'
    return f"""    # Password spraying from one address (each account also locks itself after a few failures)
    acl login_form path {LOGIN_PATH}
    acl posted method POST
    http-request track-sc1 src table login_attempts if posted login_form
    acl too_many sc1_http_req_rate(login_attempts) gt {LOGINS_PER_ADDRESS}
    http-request return status 429 {page} if posted login_form too_many
"""


def _per_address(limit: int) -> str:
    """A frontend's lines closing the connections of one address beyond ``limit`` at once (none if 0)."""
    if limit <= 0:
        return ""
    return f"""    # One address holds at most {limit} connections at once (PROXY_CONNECTIONS_PER_ADDRESS): without it
    # one stranger could keep the proxy's 4096 busy with WebSockets, open an hour each. Not this
    # machine: the web app's pushes and scheduled jobs come through here.
    stick-table type ipv6 size 100k expire 10m store conn_cur
    tcp-request connection track-sc0 src
    tcp-request connection reject if {{ sc0_conn_cur gt {limit} }} !{{ src 127.0.0.1 ::1 }}
"""


def cluster_children(settings: Settings, model: Path, plan: ClusterPlan, *, log_dir: Path | None = None) -> list[Child]:
    """The processes of the cluster, in starting order: actions, the replicas, the web app, the proxy."""
    from bot.serve import action_server, rasa_server, web_app

    children = [action_server(settings, log_dir=log_dir)]
    for n, port in enumerate(plan.replica_ports, start=1):
        replica = rasa_server(settings, model, port=port)
        children.append(
            dataclasses.replace(
                replica,
                name=f"Rasa server {n}",
                label=f"le serveur Rasa n° {n}",
                env={**(replica.env or {}), BEHIND_PROXY: "1"},  # no "loading" answer: the proxy retries elsewhere
                log_file=log_dir / f"rasa{n}.log" if log_dir else None,
            )
        )
    children.append(web_app(settings, port=plan.web_port, log_dir=log_dir))
    children.append(
        Child(
            "proxy",
            "le proxy HAProxy",
            [HAPROXY, "-W", "-db", "-f", str(plan.config)],
            ready_url=f"http://127.0.0.1:{settings.rasa_port}{PROXY_HEALTH}",
            ready_timeout=30,
            log_file=log_dir / "haproxy.log" if log_dir else None,
        )  # fmt: skip
    )
    return children
