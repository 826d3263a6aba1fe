"""The ``bot`` command line: database, missions, volunteers, and serving the assistant.

bot db upgrade
bot missions import FILE          (YAML like data/association/missions.yml, or CSV)
bot missions list
bot volunteers export --format json|csv
bot volunteers forget SENDER_ID [--channel CHANNEL]
bot privacy purge [--dry-run]     (retention: notices, then erasure of inactive volunteers)
bot serve                         (what `make run` starts; exit code 3 when a process keeps dying)
bot shell                         (what `make shell` starts)
bot telegram set-webhook URL      (register the Telegram webhook with its secret)
bot telegram delete-webhook
bot telegram status
bot telegram poll                 (serve Telegram without a public address: long polling)
bot staff add EMAIL --role admin|coordinator   (password asked twice, or read from stdin)
bot staff token EMAIL             (a token for the JSON API, shown once)
bot staff list
bot jobs list                     (the scheduled jobs: when each last ran, which process runs it now)
bot jobs run                      (run the due jobs once and exit: for cron, beside or instead of the web app)
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import get_settings
from bot.errors import BotError, NotFoundError
from bot.logs import configure

logger = logging.getLogger(__name__)


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.migrate import upgrade

    upgrade()
    print("Base de données à jour.")
    return 0


def _missions_import(args: argparse.Namespace) -> int:
    from bot.config import get_settings
    from bot.missions import read_missions
    from bot.shifts import tell_cancelled
    from bot.store import missions
    from bot.store.session import session_scope

    loaded = read_missions(Path(args.file))
    with session_scope() as session:
        result = missions.import_missions(session, loaded)
    tell_cancelled(get_settings(), result.cancelled_signups)  # shifts gone from the file, after the commit
    created, updated = result.created, result.updated
    print(f"{len(loaded)} missions importées ({created} nouvelles, {updated} mises à jour).")
    if result.cancelled_signups:
        cancelled = len(result.cancelled_signups)
        print(f"{cancelled} inscription(s) annulée(s) : créneaux retirés du fichier, bénévoles prévenus.")
    return 0


def _missions_list(args: argparse.Namespace) -> int:
    from bot.store import missions
    from bot.store.session import session_scope

    with session_scope() as session:
        rows = missions.open_missions(session)
    for mission in rows:
        where = "à distance" if mission.remote or mission.place is None else mission.place.label
        print(f"{mission.id}\t{mission.title}\t{where}\t{mission.places_left}/{mission.places_total} places")
    print(f"{len(rows)} missions ouvertes.", file=sys.stderr)
    return 0


def _volunteers_export(args: argparse.Namespace) -> int:
    from bot.store import volunteers
    from bot.store.session import session_scope

    with session_scope() as session:
        rows = volunteers.export(session)
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    writer = csv.DictWriter(sys.stdout, fieldnames=volunteers.EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    return 0


def _csv_cell(value: object) -> object:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _volunteers_forget(args: argparse.Namespace) -> int:
    from bot.privacy import erase_person

    if not erase_person(get_settings(), channel=args.channel, sender_id=args.sender_id, actor="cli"):
        raise NotFoundError("aucune donnée enregistrée pour cet identifiant")
    print("Données et conversation supprimées ; une trace anonyme est conservée dans le journal d'audit.")
    return 0


def _add_training_flags(command: argparse.ArgumentParser) -> None:
    """--no-train and --train: by default a model is trained only when its inputs changed (bot.training)."""
    training = command.add_mutually_exclusive_group()
    training.add_argument("--no-train", action="store_true", help="ne pas entraîner, utiliser le dernier modèle")
    training.add_argument("--train", action="store_true", help="entraîner un modèle même si rien n'a changé")


def _serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(no_train=args.no_train, force_train=args.train, replicas=args.replicas)


def _replicas(text: str) -> int:
    """--replicas: from 1 (one process, as make run) to 16."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"un nombre de 1 à 16 est attendu, pas « {text} »") from None
    if not 1 <= count <= 16:
        raise argparse.ArgumentTypeError(f"un nombre de 1 à 16 est attendu, pas {count}")
    return count


def _shell(args: argparse.Namespace) -> int:
    from bot.serve import shell

    return shell(no_train=args.no_train, force_train=args.train)


# --- Telegram (docs/telegram.md) -------------------------------------------------------------


def _telegram_set_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from bot.rasa.channels.telegram.manage import set_webhook

    url = asyncio.run(set_webhook(get_settings(), args.url, drop_pending_updates=args.drop_pending_updates))
    print(f"Webhook Telegram enregistré : {url}")
    print("Telegram y enverra les messages avec le secret TELEGRAM_WEBHOOK_SECRET ; le menu des commandes est à jour.")
    return 0


def _telegram_delete_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from bot.rasa.channels.telegram.manage import delete_webhook

    asyncio.run(delete_webhook(get_settings()))
    print("Webhook Telegram supprimé : les messages attendent désormais « bot telegram poll ».")
    return 0


def _telegram_status(args: argparse.Namespace) -> int:
    import asyncio

    from bot.rasa.channels.telegram.manage import webhook_status

    status = asyncio.run(webhook_status(get_settings()))
    print(f"Bot : @{status.username} (lien d'invitation : https://t.me/{status.username}?start=SOURCE)")
    print(f"Webhook : {status.url or 'aucun (mode « bot telegram poll »)'}")
    print(f"Mises à jour en attente : {status.pending_updates}")
    if status.last_error:
        print(f"Dernière erreur signalée par Telegram : {status.last_error}")
    return 0


def _telegram_poll(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib

    from bot.rasa.channels.telegram.manage import forward_updates, local_webhook_url
    from bot.serve import model_for, prepare_database, running_assistant

    settings = get_settings()
    if not settings.telegram_token:
        raise BotError("TELEGRAM_TOKEN est vide : indiquez le jeton donné par @BotFather (voir docs/telegram.md)")
    prepare_database(settings)
    model = model_for(settings, no_train=args.no_train, force_train=args.train)
    with running_assistant(settings, model):
        print(
            "\nL'assistant répond sur Telegram (relève des messages, sans webhook). Ctrl-C pour arrêter.\n", flush=True
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop
            asyncio.run(forward_updates(settings, local_webhook_url(settings)))
    return 0


def _add_telegram_commands(commands: argparse._SubParsersAction) -> None:
    telegram = commands.add_parser("telegram", help="Telegram : webhook ou relève des messages").add_subparsers(
        dest="telegram_command", required=True
    )
    webhook = telegram.add_parser("set-webhook", help="enregistrer le webhook auprès de Telegram")
    webhook.add_argument("url", help="adresse publique en https:// (le chemin /webhooks/telegram/webhook est ajouté)")
    webhook.add_argument(
        "--drop-pending-updates", action="store_true", help="ignorer les messages reçus pendant l'interruption"
    )
    webhook.set_defaults(handler=_telegram_set_webhook)
    telegram.add_parser("delete-webhook", help="supprimer le webhook").set_defaults(handler=_telegram_delete_webhook)
    telegram.add_parser("status", help="état du bot et du webhook").set_defaults(handler=_telegram_status)
    poll = telegram.add_parser("poll", help="servir Telegram sans adresse publique (relève des messages)")
    _add_training_flags(poll)
    poll.set_defaults(handler=_telegram_poll)


# ------------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------- staff console accounts


def _read_new_password() -> str:
    """Ask twice on a terminal; read one line from stdin otherwise (scripts)."""
    import getpass

    from bot.errors import InvalidDataError

    if sys.stdin.isatty():
        first = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Mot de passe (encore) : ") != first:
            raise InvalidDataError("les deux mots de passe diffèrent")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _staff_add(args: argparse.Namespace) -> int:
    from bot.store import staff
    from bot.store.session import session_scope

    password = _read_new_password()
    with session_scope() as session:
        member = staff.add(session, email=args.email, role=args.role, password=password)
        email, role = member.email, member.role
    print(f"Compte {email} enregistré ({'administrateur' if role == 'admin' else 'coordinateur'}).")
    return 0


def _staff_token(args: argparse.Namespace) -> int:
    from bot.store import staff
    from bot.store.session import session_scope

    with session_scope() as session:
        token = staff.create_token(session, email=args.email)
    print(token)
    print("Jeton de l'API créé : il ne sera plus affiché. En-tête : Authorization: Bearer JETON", file=sys.stderr)
    return 0


def _staff_list(args: argparse.Namespace) -> int:
    from bot.store import staff
    from bot.store.session import session_scope

    with session_scope() as session:
        for member in staff.all_members(session):
            print(f"{member.email}\t{member.role}")
    return 0


def _add_staff_commands(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("staff", help="comptes de la console").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="créer un compte (ou changer son mot de passe et son rôle)")
    add.add_argument("email")
    add.add_argument("--role", choices=("admin", "coordinator"), required=True)
    add.set_defaults(handler=_staff_add)
    token = staff.add_parser("token", help="créer un jeton pour l'API JSON")
    token.add_argument("email")
    token.set_defaults(handler=_staff_token)
    staff.add_parser("list", help="lister les comptes").set_defaults(handler=_staff_list)


# --- privacy: retention ------------------------------------------------------------------------


def _privacy_purge(args: argparse.Namespace) -> int:
    from bot.privacy import purge
    from bot.store import outbox

    settings = get_settings()
    report = purge(settings, dry_run=args.dry_run)
    verb = "serait supprimé" if args.dry_run else "supprimé"
    for volunteer in report.erased:
        print(
            f"bénévole {volunteer.id} ({volunteer.channel}) : inactif depuis le "
            f"{volunteer.last_active:%d/%m/%Y}, {verb}"
        )
    notice = "recevrait" if args.dry_run else "a reçu"
    for volunteer in report.notified:
        print(f"bénévole {volunteer.id} ({volunteer.channel}) : {notice} l'avis de suppression prochaine")
    for volunteer in report.notice_failed:
        print(
            f"bénévole {volunteer.id} ({volunteer.channel}) : avis non envoyé (assistant injoignable), "
            "nouvel essai au prochain passage"
        )
    summary = (
        f"{len(report.erased)} bénévole(s), {len(report.conversations)} conversation(s) sans profil et "
        f"{len(report.handoffs)} demande(s) de contact sans profil inactifs depuis {settings.retention_months} mois"
    )
    outcome = "rien n'a été modifié (--dry-run)" if args.dry_run else "supprimés"
    print(f"{summary} : {outcome}.")
    if not args.dry_run and report.sent_emails:
        print(f"{report.sent_emails} e-mail(s) envoyé(s) il y a plus de {outbox.SENT_KEPT_DAYS} jours : supprimés.")
    return 0


def _add_privacy_commands(commands: argparse._SubParsersAction) -> None:
    privacy = commands.add_parser("privacy", help="données personnelles").add_subparsers(
        dest="privacy_command", required=True
    )
    purge = privacy.add_parser(
        "purge", help="supprimer les bénévoles inactifs depuis RETENTION_MONTHS mois (et prévenir avant)"
    )
    purge.add_argument("--dry-run", action="store_true", help="lister ce qui serait supprimé, sans rien modifier")
    purge.set_defaults(handler=_privacy_purge)


# --- end of privacy -----------------------------------------------------------------------------


# --- scheduled jobs -----------------------------------------------------------------------------


def _when(moment: object) -> str:
    from datetime import datetime

    from bot.shifts import local

    if not isinstance(moment, datetime):
        return "jamais"
    return f"{local(moment, get_settings().timezone):%d/%m/%Y %H:%M:%S}"


def _jobs_list(args: argparse.Namespace) -> int:
    from bot.background import JOBS
    from bot.store import jobs
    from bot.store.models import utcnow
    from bot.store.session import session_scope

    settings = get_settings()
    with session_scope(settings.database_url) as session:
        states = jobs.states(session)
    now = utcnow()
    for job in JOBS:
        state = states.get(job.name)
        every = "à chaque tour" if job.every <= 0 else f"toutes les {job.every:.0f} s"
        line = f"{job.name} ({every}) : dernier départ {_when(state and state.last_started_at)}"
        if state is not None and state.until is not None and state.until > now:
            line += f", en cours dans {state.holder}"
        elif state is not None and state.last_error:
            line += f", dernier échec : {state.last_error}"
        print(line)
    return 0


def _jobs_run(args: argparse.Namespace) -> int:
    from bot.background import run_due_jobs

    outcome = run_due_jobs(get_settings())
    words = {"ran": "fait", "failed": "ÉCHEC (voir les journaux)", None: "pas dû, ou en cours ailleurs"}
    for name, result in outcome.items():
        print(f"{name} : {words[result]}")
    return 1 if "failed" in outcome.values() else 0


def _add_jobs_commands(commands: argparse._SubParsersAction) -> None:
    jobs = commands.add_parser("jobs", help="tâches planifiées (rappels, relances, e-mails…)").add_subparsers(
        dest="jobs_command", required=True
    )
    jobs.add_parser("list", help="les tâches, leur dernier passage et qui les exécute").set_defaults(handler=_jobs_list)
    jobs.add_parser(
        "run", help="exécuter une fois les tâches dues puis s'arrêter (cron), jamais deux fois à la fois"
    ).set_defaults(handler=_jobs_run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bot`` command."""
    parser = argparse.ArgumentParser(prog="bot", description="Assistant d'accueil des bénévoles.")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="base de données").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="créer ou mettre à jour le schéma").set_defaults(handler=_db_upgrade)

    missions = commands.add_parser("missions", help="missions").add_subparsers(dest="missions_command", required=True)
    importer = missions.add_parser("import", help="importer des missions (YAML ou CSV)")
    importer.add_argument("file")
    importer.set_defaults(handler=_missions_import)
    missions.add_parser("list", help="lister les missions ouvertes").set_defaults(handler=_missions_list)

    volunteers = commands.add_parser("volunteers", help="bénévoles").add_subparsers(
        dest="volunteers_command", required=True
    )
    export = volunteers.add_parser("export", help="exporter tous les bénévoles")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.set_defaults(handler=_volunteers_export)
    forget = volunteers.add_parser("forget", help="effacer toutes les données d'une personne")
    forget.add_argument("sender_id")
    forget.add_argument("--channel", default=None, help="limiter à un canal (rest, telegram, web)")
    forget.set_defaults(handler=_volunteers_forget)

    _add_privacy_commands(commands)
    _add_jobs_commands(commands)

    serve = commands.add_parser(
        "serve",
        help="lancer l'assistant (serveur d'actions, serveur Rasa, application web), relancés s'ils s'arrêtent",
    )
    _add_training_flags(serve)
    serve.add_argument(
        "--replicas", type=_replicas, default=1, metavar="N",
        help="N serveurs Rasa derrière HAProxy, sur PostgreSQL et Redis (make run-cluster, docs/deploy.md)",
    )  # fmt: skip
    serve.set_defaults(handler=_serve)
    chat = commands.add_parser("shell", help="discuter avec l'assistant dans le terminal")
    _add_training_flags(chat)
    chat.set_defaults(handler=_shell)
    _add_telegram_commands(commands)
    _add_staff_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bot`` console script."""
    configure(get_settings().log_level, fmt="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except BotError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Erreur : {error.strerror or error} ({getattr(error, 'filename', '') or ''})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
