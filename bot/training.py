"""Train the Rasa model only when what it is trained from has changed.

Usage::

    from bot.training import fingerprint, trained_model

    model = trained_model(Path(settings.models_dir), env=process_env(settings))  # trains only if needed
    model = trained_model(folder, env=env, force=True)                             # always trains
    fingerprint(ROOT)                                                              # SHA-256 of the inputs

What a trained model does depends on the training data (``data/nlu``, ``data/rules``,
``data/stories``), ``domain.yml``, ``config.yml``, the code of the components and policies
``config.yml`` names together with the project modules they import and the data files those
name (``bot/understanding``, ``data/association/taxonomy.yml``, the postcodes...), and the
installed rasa, rasa-sdk, spaCy, spaCy model and TensorFlow. Some of that code does not
change the trained weights (the profile extractor learns nothing), but it is what the model
was trained and tested with, and a needless training costs seconds to minutes while a stale
model costs wrong answers: when in doubt, the input is in.

After a successful ``rasa train`` a record is written beside the model
(``<model>.tar.gz.fingerprint``, JSON): the fingerprint of the inputs it was trained from
and the SHA-256 of the archive. A model is reused only when its record holds the current
fingerprint and the archive still has that digest, so a model whose training was killed
(no record), whose inputs were edited while it trained (no record either) or that changed
since is never served. The folder keeps the newest
:data:`MODELS_KEPT` models this module trained; other files are left alone.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import json
import logging
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import yaml

from bot.config import ROOT
from bot.errors import TrainingFailedError

logger = logging.getLogger(__name__)

RASA = str(Path(sys.executable).with_name("rasa"))
TRAINING_DATA = ("data/nlu", "data/rules", "data/stories")
DOMAIN = "domain.yml"
CONFIG = "config.yml"
# Where data files read by the components' code are looked for (by the names the code spells).
COMPONENT_DATA = "data"
# Installed distributions the trained model depends on; the spaCy models config.yml names are added.
DISTRIBUTIONS = ("rasa", "rasa-sdk", "spacy", "tensorflow", "tensorflow-macos", "tensorflow-cpu")
# Inputs whose change Rasa's training cache does not see (see trained_model).
FULL_TRAINING = frozenset({"components", "versions"})
MODELS_KEPT = 2
# Imported by the components but without effect on what a model computes: settings, error
# classes, logging. Left out, or every new setting would retrain from scratch (2-3 minutes).
NOT_MODEL_CODE = frozenset({"bot.config", "bot.errors", "bot.logs"})
RECORD_SUFFIX = ".fingerprint"
# Bump when what the fingerprint covers changes, so that every older model is trained again.
FORMAT = 1

_MODEL_NAME = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{12}\.tar\.gz$")
_OWN_FILE = re.compile(r"^(?P<model>\d{8}-\d{6}-[0-9a-f]{12}\.tar\.gz)(\.fingerprint(\.tmp)?)?$")
_LOCK = ".training.lock"


def fingerprint(root: Path = ROOT) -> str:
    """SHA-256 of everything that changes what a model trained in ``root`` does."""
    return _combined(training_inputs(root))


def training_inputs(root: Path = ROOT) -> dict[str, str]:
    """A digest per kind of training input: data, domain, config, components' code, versions."""
    return {
        "training data": _digest_files(root, _files_under(root, TRAINING_DATA)),
        "domain": _digest_files(root, _files_under(root, [DOMAIN])),
        "config": _digest_files(root, _files_under(root, [CONFIG])),
        "components": _digest_files(root, component_files(root)),
        "versions": _digest_text(json.dumps(installed_versions(root), sort_keys=True)),
    }


def component_files(root: Path = ROOT) -> list[str]:
    """Relative paths of the custom components' code, the project modules it imports and the data files it names."""
    modules = _import_closure(root, _custom_modules(root))
    names = set()
    for path in modules:
        names |= _string_constants(root / path)
    data = [path for path in _files_under(root, [COMPONENT_DATA]) if _named(path, names)]
    training_data = tuple(f"{folder}/" for folder in TRAINING_DATA)  # a digest of their own
    return sorted({*modules, *(path for path in data if not path.startswith(training_data))})


def installed_versions(root: Path = ROOT) -> dict[str, str]:
    """Versions of Python, Rasa, spaCy, TensorFlow and the spaCy models config.yml names ("-": not installed)."""
    versions = {"python": ".".join(platform.python_version_tuple()[:2])}
    for name in (*DISTRIBUTIONS, *_spacy_models(root)):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


def trained_model(
    out: Path,
    *,
    env: Mapping[str, str] | None = None,
    force: bool = False,
    keep: int = MODELS_KEPT,
    root: Path = ROOT,
    output: IO[bytes] | None = None,
) -> Path:
    """The newest model in ``out`` trained from the current inputs, trained first if there is none (or ``force``).

    ``env`` is the environment of ``rasa train`` (this process's when None), ``output``
    where its output goes (this process's when None). Raises TrainingFailedError.
    """
    out = out.resolve()  # rasa train runs in root
    out.mkdir(parents=True, exist_ok=True)
    with _training_lock(out):
        inputs = training_inputs(root)
        model, newest = (None, None) if force else _reusable_model(out, _combined(inputs))
        if model is not None:
            logger.info("model up to date, not trained: %s", model.name)
        else:
            changed = _changed(inputs, newest)
            if force:
                logger.info("training: asked for")
            elif newest is None:
                logger.info("training: no model trained from these inputs in %s", out)
            else:
                logger.info("training: %s changed since %s", ", ".join(changed) or "the archive", newest.name)
            # Rasa's own cache keys a component by its class's source and its packages, not by
            # the modules it calls or the spaCy model's version: past such a change it would
            # hand back what the old code computed, so it is skipped (rasa train --force).
            skip_cache = force or newest is None or not changed or bool(FULL_TRAINING & set(changed))
            model = _train(out, inputs, root=root, env=env, output=output, skip_cache=skip_cache)
        _prune(out, keep=keep, chosen=model)
    return model


def newest_recorded_model(out: Path) -> Path:
    """The newest intact model this module trained in ``out``, whatever its inputs (``--no-train``)."""
    for model in _own_models(out.resolve()):
        record = model_record(model)
        if record is not None and _archive_digest(model) == record.get("model_sha256"):
            return model
    raise FileNotFoundError(f"no trained model in {out} (bot serve trains one)")


def model_record(model: Path) -> dict[str, Any] | None:
    """What was recorded beside ``model`` after its training, or None (no record, or not readable)."""
    try:
        record = json.loads(_record_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _reusable_model(out: Path, current: str) -> tuple[Path | None, Path | None]:
    """The newest intact model recorded with the ``current`` fingerprint, and the newest recorded model."""
    newest = None
    for model in _own_models(out):
        record = model_record(model)
        if record is None:
            continue
        newest = newest or model
        if record.get("fingerprint") == current and record.get("format") == FORMAT:
            if _archive_digest(model) == record.get("model_sha256"):
                return model, newest
            logger.warning("model %s differs from the archive recorded after its training: not used", model.name)
    return None, newest


def _changed(inputs: Mapping[str, str], model: Path | None) -> list[str]:
    """The kinds of input whose digest differs from the one recorded for ``model`` (all of them without a record)."""
    recorded = (model_record(model) or {}).get("inputs") if model is not None else None
    if not isinstance(recorded, dict):
        return list(inputs)
    return [kind for kind in inputs if recorded.get(kind) != inputs[kind]]


def _train(
    out: Path,
    inputs: dict[str, str],
    *,
    root: Path,
    env: Mapping[str, str] | None,
    output: IO[bytes] | None,
    skip_cache: bool,
) -> Path:
    current = _combined(inputs)
    model = out / f"{_now():%Y%m%d-%H%M%S}-{current[:12]}.tar.gz"
    _remove(model)  # the same inputs trained again within the same second
    command = [
        RASA, "train", "--data", *TRAINING_DATA, "--config", CONFIG, "--domain", DOMAIN,
        "--out", str(out), "--fixed-model-name", model.name, *(["--force"] if skip_cache else []),
    ]  # fmt: skip
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, cwd=root, env=None if env is None else dict(env), stdout=output,
            stderr=None if output is None else subprocess.STDOUT, check=False,
        )  # fmt: skip
    except BaseException:  # Ctrl-C while training: no half-written archive left behind
        _remove(model)
        raise
    if result.returncode != 0 or not model.is_file():
        _remove(model)
        raise TrainingFailedError(
            f"l'entraînement du modèle a échoué (rasa train, code {result.returncode}) ; "
            "les données, le domaine et config.yml se vérifient avec « make validate »"
        )
    seconds = time.monotonic() - started
    logger.info("trained %s in %.0f s", model.name, seconds)
    if training_inputs(root) != inputs:
        # edited while rasa train read them: which version it learnt is unknown, so it is used
        # this once and never reused
        logger.warning("training inputs changed during training: %s will be trained again next time", model.name)
        return model
    record = {
        "format": FORMAT,
        "fingerprint": current,
        "inputs": inputs,
        "model_sha256": _archive_digest(model),
        "trained_at": _now().isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
    }
    # written whole, then renamed: a record is either complete or absent
    partial = _record_path(model).with_name(_record_path(model).name + ".tmp")
    partial.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, _record_path(model))
    return model


def _prune(out: Path, *, keep: int, chosen: Path) -> None:
    """Delete this module's models (and records) beyond the newest ``keep`` recorded ones, never ``chosen``."""
    recorded = [model for model in _own_models(out) if model_record(model) is not None]
    kept = {model.name for model in recorded[: max(keep, 0)]} | {chosen.name}
    for path in sorted(out.iterdir()):
        match = _OWN_FILE.match(path.name)
        if match and match["model"] not in kept and path.is_file():
            logger.info("removing old model file %s", path.name)
            _remove(path)


def _own_models(out: Path) -> list[Path]:
    """Models this module names, newest first (names start with the UTC time of training)."""
    return sorted((path for path in out.glob("*.tar.gz") if _MODEL_NAME.match(path.name)), reverse=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _record_path(model: Path) -> Path:
    return model.with_name(model.name + RECORD_SUFFIX)


def _remove(path: Path) -> None:
    for stale in (path, _record_path(path)) if path.name.endswith(".tar.gz") else (path,):
        stale.unlink(missing_ok=True)


@contextmanager
def _training_lock(out: Path) -> Iterator[None]:
    """One training per models folder at a time: a second process waits, then finds the model up to date."""
    with open(out / _LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _combined(inputs: Mapping[str, str]) -> str:
    return _digest_text(json.dumps({"format": FORMAT, **inputs}, sort_keys=True))


def _digest_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _digest_files(root: Path, paths: Iterable[str]) -> str:
    """SHA-256 over sorted relative paths and contents (not times: the same tree gives the same digest anywhere)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        content = (root / path).read_bytes()
        digest.update(f"{path}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _archive_digest(model: Path) -> str:
    digest = hashlib.sha256()
    with model.open("rb") as archive:
        for block in iter(lambda: archive.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_under(root: Path, paths: Iterable[str]) -> list[str]:
    """Relative POSIX paths of the files at or under ``paths`` (hidden files and caches left out)."""
    found = []
    for relative in paths:
        top = root / relative
        candidates = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in candidates:
            parts = path.relative_to(root).parts
            if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in parts):
                found.append("/".join(parts))
    return found


def _config(root: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load((root / CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}  # rasa train says what is wrong with it; the config's own digest covers it
    return config if isinstance(config, dict) else {}


def _components(root: Path) -> list[dict[str, Any]]:
    config = _config(root)
    entries = [*(config.get("pipeline") or []), *(config.get("policies") or [])]
    return [entry for entry in entries if isinstance(entry, dict)]


def _spacy_models(root: Path) -> list[str]:
    """The spaCy models config.yml loads (``model:`` of a component), e.g. fr_core_news_md."""
    return sorted({str(entry["model"]) for entry in _components(root) if isinstance(entry.get("model"), str)})


def _custom_modules(root: Path) -> list[str]:
    """Project modules of the components and policies config.yml names by dotted path."""
    modules = []
    for entry in _components(root):
        name = str(entry.get("name", ""))
        if "." not in name:
            continue  # one of Rasa's own
        module, _, _ = name.rpartition(".")
        for candidate in (name, module):  # "package.module.Class", or a module itself
            if _module_file(root, candidate) is not None:
                modules.append(candidate)
                break
    return modules


def _module_file(root: Path, module: str) -> str | None:
    base = module.replace(".", "/")
    for path in (f"{base}.py", f"{base}/__init__.py"):
        if (root / path).is_file():
            return path
    return None


def _import_closure(root: Path, modules: Iterable[str]) -> list[str]:
    """Files of ``modules``, their packages and every project module they import, at any depth."""
    seen: dict[str, str] = {}
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen or module in NOT_MODEL_CODE:
            continue
        path = _module_file(root, module)
        if path is None:
            continue  # not part of the project (Rasa, spaCy...): covered by the versions
        seen[module] = path
        parts = module.split(".")
        todo += [".".join(parts[:end]) for end in range(1, len(parts))]  # importing runs each package's __init__
        todo += _imported(root / path, module, is_package=path.endswith("__init__.py"))
    return sorted(seen.values())


def _imported(path: Path, module: str, *, is_package: bool) -> list[str]:
    """Modules an import statement of ``path`` may name, anywhere in the file (lazy imports too)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            origin = ".".join([*base, *([node.module] if node.module else [])])
            names.append(origin)
            names += [f"{origin}.{alias.name}" if origin else alias.name for alias in node.names]
    return [name for name in names if name]


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _named(path: str, names: set[str]) -> bool:
    """Whether the code spells this data file, by name ("postcodes.csv") or by path."""
    return path.rsplit("/", 1)[-1] in names or path in names or path.split("/", 1)[-1] in names
