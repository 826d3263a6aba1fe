"""The `bot` command line, run as a user runs it: clear output, clean errors, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.store import volunteers
from bot.store.session import session_scope

BOT = str(Path(sys.executable).with_name("bot"))
DEMO_MISSIONS = ROOT / "data" / "association" / "missions.yml"


def run_bot(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    # the tracker store may share the application database (never the checkout's var/tracker.db here)
    env = dict(os.environ, DATABASE_URL=database_url, TRACKER_STORE_URL=database_url)
    return subprocess.run([BOT, *args], env=env, capture_output=True, text=True, check=False)


@pytest.fixture()
def stored_volunteer(sqlite_url: str) -> str:
    profile = ProfileSubmission(
        first_name="Karim",
        age_group="adult",
        place=Place("Bron", 45.73865, 4.91303, "69500"),
        skills=("driving",),
        causes=("solidarity",),
        availability=(TimeSlot("monday", "evening"),),
        phone="+33612345678",
    )
    consent = ConsentRecord("2026-11-v1", datetime(2026, 11, 1, tzinfo=timezone.utc), "rest")
    with session_scope(sqlite_url) as session:
        volunteers.save_profile(session, channel="rest", sender_id="karim-1", profile=profile, consent=consent)
    return sqlite_url


def test_db_upgrade_creates_a_fresh_database(tmp_path: Path) -> None:
    result = run_bot(f"sqlite:///{tmp_path / 'new.db'}", "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.db").exists()


def test_missions_import_then_list(sqlite_url: str) -> None:
    imported = run_bot(sqlite_url, "missions", "import", str(DEMO_MISSIONS))
    assert imported.returncode == 0, imported.stderr
    listed = run_bot(sqlite_url, "missions", "list")
    lines = listed.stdout.strip().splitlines()
    assert len(lines) >= 40 and all(line.startswith("M") for line in lines)
    again = run_bot(sqlite_url, "missions", "import", str(DEMO_MISSIONS))
    assert "0 nouvelles" in again.stdout  # importing twice updates, never duplicates


def test_missions_import_csv(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "missions.csv"
    path.write_text(
        "id,title,description,causes,skills,schedule,city,postcode,latitude,longitude,remote,places,filled,min_age\n"
        "C001,Atelier vélo,Réparer des vélos,environment,handiwork,saturday:afternoon,Bron,69500,45.73865,4.91303,"
        "false,3,0,16\n",
        encoding="utf-8",
    )
    assert run_bot(sqlite_url, "missions", "import", str(path)).returncode == 0
    assert "C001\tAtelier vélo\tBron (69500)" in run_bot(sqlite_url, "missions", "list").stdout


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (None, "absent.yml"),
        ("id,title\nC001,Sans colonnes\n", "missing-columns.csv"),
        ("missions: [{id: M1, title: X, schedule: [{day: sammedi, period: morning}]}]", "bad-day.yml"),
        ("pas: [du, yaml, de, missions", "broken.yml"),
    ],
)
def test_missions_import_bad_files_give_one_clear_line(
    sqlite_url: str, tmp_path: Path, content: str | None, name: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_bot(sqlite_url, "missions", "import", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("Erreur : ")
    assert "Traceback" not in result.stderr


def test_export_json_has_the_design_keys(stored_volunteer: str) -> None:
    result = run_bot(stored_volunteer, "volunteers", "export", "--format", "json")
    [row] = json.loads(result.stdout)
    assert list(row) == list(volunteers.EXPORT_FIELDS)
    assert (row["first_name"], row["phone"], row["availability"]) == (
        "Karim",
        "+33612345678",
        [{"day": "monday", "period": "evening"}],
    )


def test_export_csv_has_a_header_and_one_row(stored_volunteer: str) -> None:
    result = run_bot(stored_volunteer, "volunteers", "export", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["first_name"], row["city"], json.loads(row["skills"])) == ("Karim", "Bron", ["driving"])


def test_forget_erases_then_an_unknown_id_is_a_clean_error(stored_volunteer: str) -> None:
    assert run_bot(stored_volunteer, "volunteers", "forget", "karim-1").returncode == 0
    assert json.loads(run_bot(stored_volunteer, "volunteers", "export").stdout) == []
    again = run_bot(stored_volunteer, "volunteers", "forget", "karim-1")
    assert again.returncode == 2 and again.stderr.startswith("Erreur : ")


def test_bad_usage_exits_non_zero() -> None:
    result = subprocess.run([BOT, "volunteers", "export", "--format", "xml"], capture_output=True, text=True)
    assert result.returncode != 0 and "invalid choice" in result.stderr
