"""``bot serve --replicas N``: Rasa replicas behind a real HAProxy, on PostgreSQL and Redis (issue 19).

The fast tests check what the command refuses and the proxy's configuration. The live ones start
what ``make run-cluster`` starts (bot.cluster: one action server with two workers, two Rasa
replicas, the web app, HAProxy from Debian's package, installed here when missing and root) on the
machine's PostgreSQL and a redis-server of the module's own, and talk only to the proxy, as
volunteers would: 50 conversations at once while one replica is killed in the middle, and a push
from the console to a chat bubble whose socket went through the proxy.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import functools
import http.client
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
import websockets
import websockets.client
import websockets.exceptions
from sqlalchemy import select
from websockets.typing import Origin

from bot.assistant_api import trigger_intent
from bot.cli import build_parser
from bot.cluster import (
    LOGINS_PER_ADDRESS,
    ClusterPlan,
    check_cluster_settings,
    cluster_children,
    cluster_plan,
    haproxy_config,
)
from bot.config import Settings
from bot.errors import BotError
from bot.serve import check_ports_free, prepare_database
from bot.store import models
from bot.store.session import session_scope
from bot.supervise import Supervisor
from tests.conftest import free_port, fresh_postgres, require_service, settings_for
from tests.support.own_redis import OwnRedis
from tests.support.several import NAMES, bubble_gets_push, profile_conversation, say

CONVERSATIONS = 50
TOKEN = "jeton-du-canal-rest-de-test"


# ----------------------------------------------------------------------------- without servers


def test_several_replicas_are_refused_on_sqlite_or_without_redis_in_french() -> None:
    with pytest.raises(BotError) as refused:
        check_cluster_settings(Settings(), 2)  # the defaults: SQLite, no Redis
    said = str(refused.value)
    assert "REDIS_URL est vide" in said and "TRACKER_STORE_URL" in said and "DATABASE_URL" in said
    check_cluster_settings(Settings(), 1)  # one process: make run as always


def test_the_replica_count_is_checked_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["serve", "--replicas", "3"]).replicas == 3
    for wrong in ("0", "17", "deux"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--replicas", wrong])
    assert "un nombre de 1 à 16 est attendu" in capsys.readouterr().err


def test_the_proxy_sends_to_every_replica_retries_a_dead_one_and_keeps_sockets_open(tmp_path: Path) -> None:
    settings = Settings(rasa_port=5005, web_port=8000, proxy_turns_per_replica=0)
    plan = ClusterPlan(replica_ports=(41001, 41002), web_port=41003, stats_port=41004, config=tmp_path / "h.cfg")
    config = haproxy_config(settings, plan)
    assert "server rasa1 127.0.0.1:41001 check" in config and "server rasa2 127.0.0.1:41002 check" in config
    assert "retry-on conn-failure empty-response junk-response 503" in config and "option redispatch 1" in config
    assert "timeout tunnel 1h" in config  # the chat bubble's WebSocket
    assert "bind 127.0.0.1:41004" in config  # statistics on the loopback only
    assert "balance roundrobin" in config and "cookie" not in config  # no sticky sessions
    assert "check maxconn" not in config  # PROXY_TURNS_PER_REPLICA=0: no limit


def test_turns_wait_in_line_at_the_proxy_but_the_bubble_s_sockets_never_do(tmp_path: Path) -> None:
    settings = Settings(rasa_port=5005, web_port=8000, proxy_turns_per_replica=3)
    plan = ClusterPlan(replica_ports=(41001, 41002), web_port=41003, stats_port=41004, config=tmp_path / "h.cfg")
    config = haproxy_config(settings, plan)
    turns, sockets = config.split("\nbackend rasa_replicas")[1].split("\nbackend rasa_sockets")
    assert "server rasa1 127.0.0.1:41001 check maxconn 3" in turns and "timeout queue" in turns
    # killed, a replica refuses connections: out at once, or the retries all go back to it while
    # the live one is at its limit (the 50 conversations' test got 503s)
    assert "observe layer4 error-limit 1 on-error mark-down" in turns
    assert "use_backend rasa_sockets if { path_beg /webhooks/web/socket }" in config
    # an hour-long WebSocket must not take one of the 3 places; its health is the turns' backend's
    assert "maxconn" not in sockets.split("frontend web")[0].replace("turns' limit", "")
    assert "server rasa2 127.0.0.1:41002 track rasa_replicas/rasa2" in sockets


def test_the_proxy_s_configuration_is_private_and_replaced_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found open to everyone (var/ 0755, haproxy.cfg 0644) where docs/security.md promises var/ 0700."""
    monkeypatch.setattr("bot.cluster.DATA_DIR", tmp_path / "var")
    plan = cluster_plan(Settings(), 2, tmp_path / "var" / "cluster")
    first = plan.config.read_text(encoding="utf-8")
    again = cluster_plan(Settings(), 2, tmp_path / "var" / "cluster")  # the next start: new ports, whole file
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "var", again.config.parent)}
    assert modes == {"var": 0o700, "cluster": 0o700} and stat.S_IMODE(again.config.stat().st_mode) == 0o600
    assert again.config.read_text(encoding="utf-8") != first and list(again.config.parent.iterdir()) == [again.config]


def test_the_limit_per_address_spares_this_machine_and_can_be_lifted(tmp_path: Path) -> None:
    plan = ClusterPlan(replica_ports=(41001,), web_port=41003, stats_port=41004, config=tmp_path / "h.cfg")
    limited = haproxy_config(Settings(proxy_connections_per_address=25), plan)
    assert limited.count("reject if { sc0_conn_cur gt 25 } !{ src 127.0.0.1 ::1 }") == 2  # channels and web
    assert "sc0_conn_cur" not in haproxy_config(Settings(proxy_connections_per_address=0), plan)


def _self_signed_pem(folder: Path) -> Path:
    """A certificate chain and its key in one PEM file, as HAProxy takes them (PROXY_TLS_CERT)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "benevoles.example.org")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = folder / "benevoles.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_haproxy_accepts_the_configuration_it_is_given(tmp_path: Path, tls: bool) -> None:
    _install_haproxy()
    cert = str(_self_signed_pem(tmp_path)) if tls else ""
    settings = Settings(rasa_port=5005, web_port=8000, proxy_tls_cert=cert, proxy_turns_per_replica=4 if tls else 0)
    plan = cluster_plan(settings, 3, tmp_path)
    checked = subprocess.run(["haproxy", "-c", "-f", str(plan.config)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = plan.config.read_text(encoding="utf-8")
    assert (f"ssl crt {cert}" in config) is tls and "X-Forwarded-Proto" in config
    assert "ssl-min-ver TLSv1.2" in config  # no TLS 1.0 or 1.1, whatever the distribution's default


def test_a_second_bot_serve_on_the_same_ports_is_refused_in_french() -> None:
    """make run-cluster twice: the second HAProxy shared the first one's port (SO_REUSEPORT) and half started."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as HAProxy binds
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(rasa_host="0.0.0.0", rasa_port=port, web_port=free_port(), action_port=free_port())
        with pytest.raises(BotError, match=rf"port déjà utilisé : RASA_PORT \({port}\).*Un autre « bot serve »"):
            check_ports_free(settings)
    check_ports_free(settings)  # closed: free again


def test_an_unreadable_certificate_is_refused_in_french(tmp_path: Path) -> None:
    settings = Settings(proxy_tls_cert=str(tmp_path / "absent.pem"))
    with pytest.raises(BotError, match="PROXY_TLS_CERT ne désigne pas un fichier lisible"):
        check_cluster_settings(settings, 2)


# ----------------------------------------------------------------------------- live


@dataclass
class Cluster:
    settings: Settings
    plan: ClusterPlan
    supervisor: Supervisor
    redis: OwnRedis

    @property
    def redis_url(self) -> str:
        return self.redis.url

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook"

    def served(self) -> dict[str, int]:
        """Requests each replica received, from HAProxy's statistics."""
        text = requests.get(f"http://127.0.0.1:{self.plan.stats_port}/;csv", timeout=5).text.lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {row["svname"]: int(row["stot"]) for row in rows if row["pxname"] == "rasa_replicas"}


def _install_haproxy() -> None:
    if shutil.which("haproxy") is None and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "haproxy"], env=env, check=False, capture_output=True)
    if shutil.which("haproxy") is None:
        require_service("HAProxy is not installed (Debian package haproxy)")


@pytest.fixture(scope="module")
def cluster(trained_model: Path, postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    _install_haproxy()
    if shutil.which("redis-server") is None:
        require_service("redis-server is not installed (Debian package redis-server)")
    own_redis = OwnRedis(tmp_path_factory.mktemp("redis"))
    own_redis.start()
    folder = tmp_path_factory.mktemp("cluster")
    try:
        with fresh_postgres(postgres_server) as database:
            settings = settings_for(
                database_url=database, tracker_store_url=database, tracker_dialect="postgresql",
                redis_url=own_redis.url, web_port=free_port(), web_host="127.0.0.1", rest_token=TOKEN,
                action_workers=2, background_seconds=0,
            )  # fmt: skip
            check_cluster_settings(settings, 2)
            prepare_database(settings)
            plan = cluster_plan(settings, 2, folder)
            with Supervisor() as supervisor:
                *servers, proxy = cluster_children(settings, trained_model, plan, log_dir=folder / "logs")
                supervisor.start(*servers)
                supervisor.start(proxy)
                yield Cluster(settings, plan, supervisor, own_redis)
    finally:
        own_redis.stop()


def test_fifty_conversations_through_the_proxy_survive_a_replica_killed_in_the_middle(cluster: Cluster) -> None:
    turns, killed = [0], threading.Event()
    counting = threading.Lock()

    def send(sender: str, message: str) -> str:
        answer = say(cluster.webhook, sender, message, token=TOKEN)
        with counting:
            turns[0] += 1
            if turns[0] == CONVERSATIONS * 3 and not killed.is_set():  # a third of the way: kill replica 1
                pid = cluster.supervisor.pid("Rasa server 1")
                assert pid is not None
                os.killpg(os.getpgid(pid), signal.SIGKILL)
                killed.set()
        return answer

    def converse(n: int) -> str:
        sender, name = f"cluster-{n}", NAMES[n % len(NAMES)]
        profile_conversation(lambda _step, message: send(sender, message), sender, name)
        return sender

    with ThreadPoolExecutor(max_workers=25) as pool:  # 25 conversations at a time, every message through the proxy
        senders = list(pool.map(converse, range(CONVERSATIONS)))
    assert killed.is_set()
    with session_scope(cluster.settings.database_url) as session:
        rows = session.execute(select(models.Volunteer.sender_id, models.Volunteer.first_name)).all()
    expected = sorted((s, NAMES[n % len(NAMES)]) for n, s in enumerate(senders))
    assert sorted((str(s), str(n)) for s, n in rows) == expected  # none lost, none twice, every name kept
    served = cluster.served()
    assert served["rasa1"] > 0 and served["rasa2"] > 0, served  # both replicas carried conversations
    # the killed replica's locks are gone within their lifetime (Rasa's LOCK_LIFETIME, 60 s)
    store = redis.Redis.from_url(cluster.redis_url)
    deadline = time.monotonic() + 65
    while store.keys("benevoles:lock:*") and time.monotonic() < deadline:
        time.sleep(1)
    assert store.keys("benevoles:lock:*") == []


def test_a_push_from_the_console_reaches_a_bubble_connected_through_the_proxy(cluster: Cluster) -> None:
    settings = cluster.settings
    socket_url = f"ws://127.0.0.1:{settings.rasa_port}/webhooks/web/socket"  # the proxy, as the page's script does
    origin = f"http://127.0.0.1:{settings.web_port}"

    def push(sender: str) -> None:  # the console's invitation goes through the proxy too, to either replica
        trigger_intent(settings, sender_id=sender, intent="faq_insurance")

    assert "assurance" in asyncio.run(bubble_gets_push(socket_url, origin, push))


def test_pushes_reach_the_bubble_again_once_redis_is_back_with_nothing_restarted(cluster: Cluster) -> None:
    """A bubble on one replica, Redis restarted under it, then a push through each replica in turn:
    one of the two must cross processes over Redis's pub/sub, whose subscription comes back by itself."""
    settings = cluster.settings
    socket_url = f"ws://127.0.0.1:{settings.rasa_port}/webhooks/web/socket"
    origin = f"http://127.0.0.1:{settings.web_port}"

    async def scenario() -> list[str]:
        async with websockets.client.connect(socket_url, origin=Origin(origin), ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "hello", "conversation": None}))
            sender = json.loads(await asyncio.wait_for(ws.recv(), 10))["conversation"].rsplit(".", 1)[0]
            await ws.send(json.dumps({"type": "start"}))  # the greeting: the conversation's channel is the bubble
            while json.loads(await asyncio.wait_for(ws.recv(), 60)) != {"type": "typing", "on": False}:
                pass
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, cluster.redis.stop)
            await loop.run_in_executor(None, cluster.redis.start)
            received = []
            for port in cluster.plan.replica_ports:  # straight to each replica, as a console's push may land
                replica = dataclasses.replace(settings, rasa_port=port)
                deadline = loop.time() + 30
                while loop.time() < deadline:  # the relay listens again within its retry delay (2 s)
                    push = functools.partial(trigger_intent, replica, sender_id=sender, intent="faq_insurance")
                    await loop.run_in_executor(None, push)
                    text = await _next_bot_text(ws, within=5)
                    if text is not None:
                        received.append(text)
                        break
            return received

    received = asyncio.run(scenario())
    assert len(received) == 2 and all("assurance" in text for text in received), received


async def _next_bot_text(ws: websockets.client.WebSocketClientProtocol, within: float) -> str | None:
    """The text of the next bot frame within ``within`` seconds, or None."""
    deadline = asyncio.get_running_loop().time() + within
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        except asyncio.TimeoutError:
            return None
        if frame.get("type") == "bot":
            return str(frame["text"])
    return None


def test_the_console_and_the_health_page_are_served_through_the_proxy(cluster: Cluster) -> None:
    web = f"http://127.0.0.1:{cluster.settings.web_port}"
    deadline = time.monotonic() + 30  # the web app may have looked before the proxy started
    while (health := requests.get(f"{web}/health", timeout=10).json())["status"] != "ok":
        assert time.monotonic() < deadline, health
        time.sleep(1)
    assert requests.get(f"{web}/console/", timeout=10, allow_redirects=False).status_code in (200, 303)
    forwarded = requests.post(cluster.webhook, json={"sender": "x", "message": "bonjour"}, timeout=30)
    assert forwarded.status_code == 401  # behind the proxy the REST channel wants its token
    # Rasa's HTTP API is reachable through the proxy, as the console needs it: never without its token
    rasa = f"http://127.0.0.1:{cluster.settings.rasa_port}"
    for path in ("/conversations/cluster-0/tracker", "/status", "/model/parse"):
        answer = requests.request("POST" if path == "/model/parse" else "GET", rasa + path, json={}, timeout=10)
        assert answer.status_code in (401, 403), (path, answer.status_code)


# ----------------------------------------------------------------------------- one stranger's share

STRANGER = "127.0.0.2"  # another address of the loopback: this machine's own (127.0.0.1) is not limited


async def _open_bubbles(cluster: Cluster, count: int, source: str) -> list[websockets.client.WebSocketClientProtocol]:
    """Open ``count`` bubbles from ``source``, each past its welcome; those the proxy closed are left out."""
    url = f"ws://127.0.0.1:{cluster.settings.rasa_port}/webhooks/web/socket"
    origin = Origin(f"http://127.0.0.1:{cluster.settings.web_port}")

    async def one() -> websockets.client.WebSocketClientProtocol | None:
        try:
            ws = await websockets.client.connect(
                url, origin=origin, ping_interval=None, open_timeout=10, local_addr=(source, 0)
            )
            await ws.send(json.dumps({"type": "hello", "conversation": None}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] == "welcome"
            return ws
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            return None

    opened = []
    for _ in range(count):  # one at a time: the proxy counts those already open
        ws = await one()
        if ws is not None:
            opened.append(ws)
    return opened


def test_one_address_cannot_take_every_connection_of_the_proxy(cluster: Cluster) -> None:
    """WebSockets stay open an hour: without a limit one stranger held the proxy's 4096 (300 were tried)."""
    limit = cluster.settings.proxy_connections_per_address

    async def scenario() -> tuple[int, int, int]:
        stranger = await _open_bubbles(cluster, limit + 5, STRANGER)
        local = await _open_bubbles(cluster, 3, "127.0.0.1")  # this machine, and so anyone else, still served
        for ws in stranger[:5]:
            await ws.close()
        await asyncio.sleep(0.5)
        again = await _open_bubbles(cluster, 5, STRANGER)  # places given back are taken again
        for ws in [*stranger[5:], *local, *again]:
            await ws.close()
        return len(stranger), len(local), len(again)

    assert asyncio.run(scenario()) == (limit, 3, 5)


def test_the_console_s_login_form_refuses_a_flood_from_one_address_politely(cluster: Cluster) -> None:
    """Password spraying: each account locks itself after a few failures, not one address trying many."""

    def try_login(n: int) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", cluster.settings.web_port, source_address=(STRANGER, 0))
        body = urllib.parse.urlencode({"email": f"personne{n}@exemple.fr", "password": "motdepasse"})
        connection.request("POST", "/console/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        text = answer.read().decode("utf-8", errors="replace")
        connection.close()
        return answer.status, text

    statuses = [try_login(n)[0] for n in range(LOGINS_PER_ADDRESS)]
    assert 429 not in statuses, statuses  # refused by the form itself (CSRF, wrong password), not the proxy
    status, text = try_login(LOGINS_PER_ADDRESS)
    assert status == 429 and "Trop de tentatives de connexion" in text, (status, text)
    assert requests.get(f"http://127.0.0.1:{cluster.settings.web_port}/console/login", timeout=10).ok  # others served
