"""bot.training trains only when an input changed, never reuses a broken model and keeps the newest few.

``rasa train`` is replaced by a stub script that writes a small archive where Rasa would
(``--out``/``--fixed-model-name``) and counts its calls; the project is a small tree with
the same layout as ours.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

import pytest

from bot import training
from bot.config import ROOT
from bot.errors import TrainingFailedError

STUB = f"""#!{sys.executable}
import os, pathlib, signal, sys

arguments = sys.argv[1:]
model = pathlib.Path(arguments[arguments.index("--out") + 1]) / arguments[arguments.index("--fixed-model-name") + 1]
with open(os.environ["STUB_CALLS"], "a") as calls:
    calls.write(" ".join(arguments) + "\\n")
mode = os.environ.get("STUB_MODE", "ok")
if mode != "no model":
    model.write_bytes(b"model trained from " + pathlib.Path("config.yml").read_bytes() + os.urandom(8))
if mode == "edits":
    with open("data/nlu/basics.yml", "a") as data:
        data.write("    - coucou\\n")
if mode == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
sys.exit(1 if mode == "fails" else 0)
"""

PROJECT = {
    "config.yml": "language: fr\npipeline:\n  - name: bot.rasa.nlu.extractor.ProfileExtractor\n"
    "  - name: SpacyNLP\n    model: fr_core_news_md\n  - name: DIETClassifier\n    epochs: 100\n"
    "policies:\n  - name: bot.rasa.policies.CachedPolicy\n    epochs: 40\n",
    "domain.yml": "version: '3.1'\nintents:\n  - greet\n",
    "data/nlu/basics.yml": "nlu:\n- intent: greet\n  examples: |\n    - bonjour\n",
    "data/rules/basics.yml": "rules: []\n",
    "data/stories/onboarding.yml": "stories: []\n",
    "data/association/words.csv": "mot\ncuisine\n",
    "data/association/missions.yml": "missions: []\n",
    "bot/__init__.py": "",
    "bot/rasa/nlu/__init__.py": "",
    "bot/rasa/nlu/extractor.py": "from bot.understanding import words\n\n\nclass ProfileExtractor:\n    pass\n",
    "bot/understanding/__init__.py": "",
    "bot/understanding/words.py": "from pathlib import Path\n\nWORDS = Path('data/association') / 'words.csv'\n",
    "bot/rasa/policies.py": "def lazy():\n    from .understanding import words  # noqa\n",
    "bot/serve.py": "print('not a training input')\n",
}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A project tree laid out like ours: training data, domain, config, components and what they read."""
    root = tmp_path / "project"
    for relative, content in PROJECT.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each training one second after the previous one (the real ones take 16 s)."""
    start = datetime(2025, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
    ticks = iter(range(10_000))
    monkeypatch.setattr(training, "_now", lambda: start + timedelta(seconds=next(ticks)))


@pytest.fixture()
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file where the stub ``rasa`` writes one line per training."""
    stub = tmp_path / "rasa"
    stub.write_text(STUB, encoding="utf-8")
    stub.chmod(0o755)
    monkeypatch.setattr(training, "RASA", str(stub))
    return tmp_path / "calls.txt"


@pytest.fixture()
def train(project: Path, calls: Path, tmp_path: Path) -> Callable[..., Path]:
    """``trained_model`` on the small project, with the stub as ``rasa``."""

    def run(*, mode: str = "ok", **options: object) -> Path:
        env = {"STUB_CALLS": str(calls), "STUB_MODE": mode}
        return training.trained_model(tmp_path / "models", env=env, root=project, **options)  # type: ignore[arg-type]

    return run


def trainings(calls: Path) -> int:
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name != ".training.lock")


def test_unchanged_inputs_reuse_the_model_without_training(
    train: Callable[..., Path], calls: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = train()
    caplog.set_level(logging.INFO, logger="bot.training")
    assert (train(), trainings(calls)) == (first, 1)
    assert f"model up to date, not trained: {first.name}" in caplog.messages


def test_the_first_training_is_rasa_train_with_our_data_a_fixed_name_and_no_cache(
    train: Callable[..., Path], calls: Path
) -> None:
    model = train()
    expected = (
        f"train --data data/nlu data/rules data/stories --config config.yml --domain domain.yml "
        f"--out {model.parent} --fixed-model-name {model.name} --force"
    )
    assert calls.read_text().splitlines() == [expected]
    assert model.name == f"20250301-090000-{training.fingerprint(model.parents[1] / 'project')[:12]}.tar.gz"


def _edit(relative: str, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        with open(root / relative, "a", encoding="utf-8") as file:
            file.write(text)

    return edit


CHANGES = {
    "nlu example": ("training data", _edit("data/nlu/basics.yml", "    - salut\n")),
    "new rules file": ("training data", _edit("data/rules/consent.yml", "rules: []\n")),
    "story": ("training data", _edit("data/stories/onboarding.yml", "# one more\n")),
    "domain": ("domain", _edit("domain.yml", "  - goodbye\n")),
    "config": ("config", lambda root: (root / "config.yml").write_text(PROJECT["config.yml"].replace("40", "41"))),
    "component": ("components", _edit("bot/rasa/nlu/extractor.py", "LIMIT = 2\n")),
    "policy": ("components", _edit("bot/rasa/policies.py", "LIMIT = 2\n")),
    "module a component imports": ("components", _edit("bot/understanding/words.py", "LIMIT = 2\n")),
    "package init": ("components", _edit("bot/rasa/nlu/__init__.py", "# plug-ins\n")),
    "data file a component reads": ("components", _edit("data/association/words.csv", "jardinage\n")),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_changed_input_trains_again(
    change: tuple[str, Callable[[Path], None]],
    train: Callable[..., Path],
    project: Path,
    calls: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kind, edit = change
    first = train()
    edit(project)
    caplog.set_level(logging.INFO, logger="bot.training")
    second = train()
    assert (second != first, trainings(calls)) == (True, 2)
    assert f"training: {kind} changed since {first.name}" in caplog.messages
    # Rasa's cache sees changes of data, domain and config, not of the code a component calls
    assert calls.read_text().splitlines()[-1].endswith(" --force") == (kind == "components")


def test_a_new_version_of_rasa_or_the_spacy_model_trains_again(
    train: Callable[..., Path], calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = metadata.version
    train()
    for name in ("rasa", "fr_core_news_md", "tensorflow"):
        monkeypatch.setattr(metadata, "version", lambda asked, name=name: "99.0" if asked == name else installed(asked))
        train()
    assert trainings(calls) == 4
    assert all(line.endswith(" --force") for line in calls.read_text().splitlines())


def test_files_that_do_not_change_the_model_do_not_train(
    train: Callable[..., Path], project: Path, calls: Path
) -> None:
    first = train()
    unrelated = {"bot/serve.py": "# no\n", "data/association/missions.yml": "# no\n", "README.md": "x"}
    for relative, text in unrelated.items():
        _edit(relative, text)(project)
    (project / "bot/rasa/nlu/__pycache__").mkdir()
    (project / "bot/rasa/nlu/__pycache__/extractor.cpython-310.pyc").write_bytes(b"\0")
    (project / "data/nlu/.basics.yml.swp").write_bytes(b"\0")
    assert (train(), trainings(calls)) == (first, 1)


def test_the_fingerprint_ignores_where_and_when_files_were_written(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(project, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))
    assert training.fingerprint(copy) == training.fingerprint(project)


def test_the_inputs_of_this_project_are_its_components_what_they_import_and_read() -> None:
    inputs = training.component_files(ROOT)
    for expected in (
        "bot/rasa/nlu/spacy_nlp.py", "bot/rasa/nlu/profile_extractor.py", "bot/rasa/nlu/language_guard.py",
        "bot/rasa/policies.py", "bot/understanding/places.py", "bot/taxonomy.py", "bot/__init__.py",
        "data/association/taxonomy.yml", "data/association/postcodes.csv", "data/association/departments.csv",
        "bot/rasa/nlu/faq_keywords.py", "data/association/faq.yml",  # its keywords change what the NLU answers
    ):  # fmt: skip
        assert expected in inputs
    for unrelated in (
        "bot/serve.py", "bot/web_app.py", "bot/texts.py", "data/association/missions.yml",
        "bot/rasa/speedups/__init__.py", "bot/rasa/speedups/actions.py",  # installed by the server, not the model
        "data/association/consent.yml", "data/association/widget.yml", "data/association/labels.yml",
    ):  # fmt: skip
        assert unrelated not in inputs
    assert not [path for path in inputs if path.startswith(("actions/", "data/nlu/", "tests/"))]
    assert {"rasa", "rasa-sdk", "spacy", "tensorflow", "fr_core_news_md"} <= set(training.installed_versions(ROOT))


def _forge(change: str) -> Callable[[Path], None]:
    def forge(model: Path) -> None:
        record_path = model.with_name(model.name + ".fingerprint")
        record = json.loads(record_path.read_text())
        if change == "missing record":
            record_path.unlink()
        elif change == "record of other inputs":
            record_path.write_text(json.dumps({**record, "fingerprint": "0" * 64}))
        elif change == "record not JSON":
            record_path.write_text("{not json")
        elif change == "archive replaced after training":
            model.write_bytes(b"another model")
        elif change == "record of an older format":
            record_path.write_text(json.dumps({**record, "format": 0}))

    return forge


FORGERIES = ["missing record", "record of other inputs", "record not JSON", "archive replaced after training"]


@pytest.mark.parametrize("change", [*FORGERIES, "record of an older format"])
def test_a_model_without_a_true_record_is_never_reused(change: str, train: Callable[..., Path], calls: Path) -> None:
    first = train()
    _forge(change)(first)
    second = train()
    assert (second != first, trainings(calls)) == (True, 2)
    assert (train(), trainings(calls)) == (second, 2)


def test_a_model_left_half_written_by_a_killed_training_is_not_reused(
    train: Callable[..., Path], project: Path, calls: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    half_written = models / f"20250301-085900-{training.fingerprint(project)[:12]}.tar.gz"
    half_written.write_bytes(b"\x1f\x8b half")
    model = train()
    assert (model != half_written, trainings(calls)) == (True, 1)
    assert files(models) == [model.name, f"{model.name}.fingerprint"]


def test_a_training_killed_or_failing_raises_and_leaves_no_model(train: Callable[..., Path], tmp_path: Path) -> None:
    for mode in ("killed", "fails", "no model"):
        with pytest.raises(TrainingFailedError):
            train(mode=mode)
        assert files(tmp_path / "models") == []
    train()  # and the next start trains


def test_a_model_whose_inputs_were_edited_during_its_training_is_used_once_not_reused(
    train: Callable[..., Path], calls: Path
) -> None:
    edited = train(mode="edits")
    assert not edited.with_name(edited.name + ".fingerprint").exists()
    assert (train() != edited, trainings(calls)) == (True, 2)


def test_the_newest_recorded_model_is_served_without_training_whatever_its_inputs(
    train: Callable[..., Path], project: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    with pytest.raises(FileNotFoundError):
        training.newest_recorded_model(models)
    model = train()
    _edit("domain.yml", "  - goodbye\n")(project)
    (models / "20991231-235959-000000000000.tar.gz").write_bytes(b"half-written")
    assert training.newest_recorded_model(models) == model


def test_force_trains_even_when_the_model_is_up_to_date(train: Callable[..., Path], calls: Path) -> None:
    first = train()
    assert (train(force=True) != first, trainings(calls)) == (True, 2)
    assert calls.read_text().splitlines()[-1].endswith(" --force")


def test_pruning_keeps_the_newest_models_and_the_chosen_one(
    train: Callable[..., Path], project: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    foreign = ["20240101-120000-brave-lion.tar.gz", "my-model.tar.gz", "notes.txt"]
    for name in foreign:
        (models / name).write_text("not ours")
    config = project / "config.yml"
    original = config.read_text()
    trained = []
    for epochs in ("41", "42", "43"):
        config.write_text(original.replace("40", epochs))
        trained.append(train())
    assert files(models) == sorted([*foreign, *(f"{m.name}{s}" for m in trained[1:] for s in ("", ".fingerprint"))])

    config.write_text(original.replace("40", "42"))  # back to the older of the two kept
    chosen = train(keep=1)
    assert chosen == trained[1]
    assert files(models) == sorted([*foreign, *(f"{m.name}{s}" for m in trained[1:] for s in ("", ".fingerprint"))])


def test_one_training_at_a_time_per_folder(train: Callable[..., Path], calls: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    found: list[Path] = []
    with open(models / ".training.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process training in this folder
        waiting = threading.Thread(target=lambda: found.append(train()))
        waiting.start()
        waiting.join(timeout=0.5)
        assert (waiting.is_alive(), trainings(calls)) == (True, 0)
        fcntl.flock(lock, fcntl.LOCK_UN)
    waiting.join(timeout=10)
    assert (len(found), trainings(calls)) == (1, 1)
