"""`make bench`: speed and memory of the assistant, side by side with Rasa's default configuration.

Usage::

    make bench                                          # writes docs/benchmarks.md (about 25 minutes)
    .venv/bin/python -m scripts.benchmark --only start soak --model models/X.tar.gz   # the start and the soak
    .venv/bin/python -m scripts.benchmark --model models/X.tar.gz --levels 1 2 --conversations 2 \\
        --report /tmp/benchmarks.md                     # a quick run on a trained model

In one session: trains our model from cold and again unchanged (scripts/bench_training.py),
trains (or reuses, when nothing changed) a second model on the same data with Rasa's
default configuration (scripts/rasa_default_config.yml), starts both assistants with a
SQL tracker store, times NLU parses (scripts/bench_nlu.py) and simulated conversations at
each concurrency level, alternating the two models (scripts/bench_conversations.py), reads
the servers' peak memory, then times matching (scripts/bench_matching.py). Then it times the
start of `bot serve --no-train` and the first conversations after it (scripts/bench_start.py) and
soaks the assistant with conversations in a row for five minutes (scripts/bench_soak.py), and
times staff messages from the console to the chat bubble (scripts/bench_takeover.py). The
conversations also run against our model served with the speed patches off, and
scripts/bench_speedups.py serves it once per group of patches left out. Each part writes its
own section of the report.
"""

from __future__ import annotations

import argparse
import shutil
import time
from contextlib import nullcontext
from pathlib import Path

from bot.config import ROOT
from bot.serve import latest_model
from scripts import bench_matching, bench_reminders, bench_soak, bench_speedups, bench_start, bench_takeover
from scripts.bench_conversations import HEADER as LOAD_HEADER
from scripts.bench_conversations import LoadResult, measured_load
from scripts.bench_nlu import HEADER as NLU_HEADER
from scripts.bench_nlu import ParseTimings, parse_messages, time_parses
from scripts.bench_training import TrainingTimes, time_training
from scripts.measure.assistant import started_assistant, train_model
from scripts.measure.report import context_lines, invocation, percentile, table, write_section

DEFAULT_CONFIG = ROOT / "scripts" / "rasa_default_config.yml"
TARGET_P95_MS, TARGET_RATIO, TARGET_NLU_P95_MS, TARGET_MATCHING_P95_MS = 300, 2.0, 30, 20
TARGET_TRAINING_S, TARGET_RSS_MB = 180, 1800
PARTS = ("load", "speedups", "start", "soak", "takeover", "reminders")
UNPATCHED, DEFAULTS = "ours, patches off", "Rasa defaults"

INTRODUCTION = """\
Speed and memory of the assistant, measured by `scripts/benchmark.py` (`make bench`). The
section between the markers is regenerated on every run; other sections (such as the
console's) are kept.

How it is measured:

- *Conversations*: simulated volunteers (the personas of `scripts/personas.yml`, answering
  whatever the assistant asks) talk to the REST channel at the same time, each sending its
  next message as soon as it has the answer (no thinking time, so messages per second is
  what the server sustains). A turn's latency is the wall-clock time of one
  `POST /webhooks/rest/webhook`, which includes the custom actions and the SQL tracker
  store. Conversations stop when the profile is saved or after the message limit.
- *Rasa's defaults*: a second model trained on the same data, domain and stories with the
  configuration `rasa init` leaves to Rasa's recipe (`scripts/rasa_default_config.yml`):
  whitespace tokenizer, no French spaCy model, DIET with transformer layers,
  ResponseSelector, UnexpecTED and TED policies at 100 epochs, and no custom NLU
  component, so it extracts no entities. Both assistants run at the same time, with the
  same action server code, and are measured alternately.
- *Our model* runs with `bot.rasa.speedups` (RASA_SPEEDUPS=1, as `make run`; docs/architecture.md):
  Rasa 3.6 code replaced by equivalent code, such as the validation of every action server
  answer, which re-checked the whole JSON schema each time (about 50 ms of CPU per custom
  action). It also uses our spaCy loader and TED policy (config.yml). The default-configured
  model does not load our components, so it runs Rasa as shipped, but for what both share: the
  tracker store and its SQLite connections, the domain sent only to the form validation action,
  and the action server.
- Figures on a machine shared with other work are pessimistic: the load average is given."""


NOTES = """\
What was done for the targets, and what is left (found by sampling the Rasa server with py-spy and
cProfile during the 10-concurrent level):

- Matching (`bot/matching.py`): missions are scored over bitmasks in one inlined loop, about 4× less
  CPU per volunteer than before (25–37 ms p95 before), with the same rankings.
- NLU parse: spaCy runs none of its components (`bot.rasa.nlu.spacy_nlp.FrenchSpacyNLP`): tokens and word
  vectors need none, and the n-gram featurizers now read words rather than spaCy's lemmas
  (`use_lemma: false`, which also raised the held-out accuracy). spaCy's ner alone was half of its
  time per message; tok2vec, the morphologizer and the lemmatizer most of the rest.
- Turn latency, per turn of the Rasa server's single event loop (about 82 ms of CPU before these
  changes; on 2026-11-23, 33 to 35 ms before a first round, 25 to 31 ms after it and 18 to 20 ms after
  a second, in profiling runs of the same 10-concurrent load; the table below has this run's figure):
  - a hot spot of Rasa 3.6 replaced by equivalent code (`bot/rasa/speedups/`, RASA_SPEEDUPS), tested
    against Rasa's own: the action answer's schema validation, and a pool of connections to the action
    server with requests written by ujson; the table "ours ÷ patches off" below gives what it earns.
    Seven more replacements of the first two rounds (the graph run without dask, the event class
    lookup, the dialogue states and applied events kept per tracker, RulePolicy's rule index, the
    forms' entity mappings, DIET's and TED's traced function called directly, sparse features joined
    without `hstack`) each saved about a millisecond per message or less, measured one by one
    (`scripts/bench_speedups.py`), and were removed. The loaded model is left out of full garbage
    collections after the warm-up (they stopped the server for 300 to 550 ms);
  - TED's predictions are kept for dialogue states it has already seen (`bot.rasa.policies.CachedTEDPolicy`,
    tested equal to TED's own): most of TED's 8 ms per prediction went into turning arrays into
    tensors. The table starts empty when the server starts; a path never seen costs what TED costs;
  - the tracker store reads a conversation with SQL statements built once, reuses the number of rows
    it read at the next save, writes a consented turn's events with one statement, and keeps its
    SQLite connections open (SQLAlchemy 1.4 reopened the file for every session); SQLite files are
    journalled ahead (WAL): a commit synced three files, 0.6 ms during which the event loop waited, and
    now syncs one, 0.15 ms, as durably; activity is recorded to within ten minutes, so most messages
    write nothing to the application database; the domain goes only to the action that reads it; the
    action server reads the open missions as plain rows (the last turn of an onboarding is the slowest);
  - spaCy's share of a turn, about 10 ms, is now under 1 ms.
- What remains per turn (sampled on 2026-11-23 after the second round, shares of the Rasa server's
  samples): the NLU parse 29 % (DIET's TensorFlow call 9 %, the n-gram featurizers 6 %); the tracker
  store 20 % (its save 14 %, of which about 4 % waiting for the disk to sync the commit, and its read
  6 %); the policies 20 % (rules 9 %, memoization 7 %; the conversation replays behind them 9 %); the
  action server calls 6 %; Sanic and its event loop about 15 %. The conversations table gives each
  server's CPU time per message; on this machine it varies by a fifth between identical runs (the
  action server's, whose code did not change, went from 3.0 to 4.0 ms in one afternoon). With no
  thinking time the 10 conversations queue for the one Rasa process, and a turn's p95 is about 1.5
  times the median, itself about ten times the Rasa server's CPU per message: p95 ≤ 300 ms needs
  under about 20 ms of it, with the action server and the simulated volunteers (about 6 ms) on the
  same two cores. Not done: several Rasa processes behind a Redis lock store (each loads the model,
  so two would exceed the 1.8 GB memory target; the facts said before consent, which one process
  holds in memory, would have to be shared first; and two cores cannot give each process one); a
  memory of NLU results by message text (the personas repeat their phrasings far more than people
  do, so it would flatter this benchmark); `synchronous=NORMAL` for the SQLite tracker store (no wait
  for the disk at each commit, but a power cut could lose the last turns, or undo an erasure);
  PostgreSQL for the tracker store.
- Training: TED (40 epochs) and DIET (100 epochs) dominate; epochs were left as they are (held-out
  accuracy in docs/evaluation.md).
- Memory: the Rasa server holds TensorFlow, spaCy's `fr_core_news_md` and the gazetteer of places."""


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}×" if theirs else "–"


def _cpu_ms(load: LoadResult) -> str:
    """The Rasa server's CPU time per message during a level, in ms."""
    ms = load.cpu_ms_per_message("Rasa server")
    return "–" if ms is None else f"{ms:.1f}"


def _verdict(ok: bool, miss: str) -> str:
    return "met" if ok else f"**missed** ({miss})"


def main() -> None:
    """Measure everything and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="our trained model (default: train from cold, timed)")
    parser.add_argument("--default-model", type=Path, help="the default-configured model (default: train it)")
    parser.add_argument("--no-default", action="store_true", help="leave out the default-configured model")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50], help="concurrency (default 1 10 50)")
    parser.add_argument("--conversations", type=int, default=20, help="conversations per level, at least the level")
    parser.add_argument("--max-messages", type=int, default=12, help="messages per conversation at most")
    parser.add_argument("--nlu-repeat", type=int, default=1, help="times each NLU message is parsed")
    parser.add_argument("--matching", type=int, nargs=2, default=[10_000, 1_000], metavar=("MISSIONS", "VOLUNTEERS"))
    parser.add_argument("--tracker-store-url", help="SQLAlchemy URL of the tracker store (default: SQLite file)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file to write")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench", help="models, databases, logs")
    parser.add_argument(
        "--only", nargs="+", choices=PARTS, default=list(PARTS),
        help="parts to run, each writing its own section (default: all): load = training, NLU, conversations, "
        "memory, matching; speedups = each group of speed patches (scripts/bench_speedups.py); "
        "start = bot serve's start (scripts/bench_start.py); soak = scripts/bench_soak.py; "
        "takeover = a staff message from the console to the bubble (scripts/bench_takeover.py); "
        "reminders = a day's reminders for 10,000 volunteers, and conversations meanwhile (scripts/bench_reminders.py)",
    )  # fmt: skip
    bench_start.add_arguments(parser)
    bench_soak.add_arguments(parser)
    bench_speedups.add_arguments(parser)
    bench_takeover.add_arguments(parser)
    args = parser.parse_args()
    model = args.model
    if "load" in args.only:
        model = _load(args)
    elif model is None:
        model = latest_model(ROOT / "models")
    if "speedups" in args.only:
        _log("each group of speed patches, served without it...")
        bench_speedups.run(args, model)
    if "start" in args.only:
        _log("timing the start of bot serve --no-train, then the first conversations...")
        bench_start.run(args, model)
    if "soak" in args.only:
        _log("soak: conversations in a row...")
        bench_soak.run(args, model)
    if "takeover" in args.only:
        _log("staff messages from the console to the chat bubble, 10 conversations running...")
        bench_takeover.run(args, model)
    if "reminders" in args.only:
        _log("a day's reminders for 10,000 volunteers, 10 conversations running...")
        bench_reminders.run(args, model)
    _log(f"written to {args.report}")


def _load(args: argparse.Namespace) -> Path:
    """Training, NLU, conversations, memory and matching, written to the section ``bench``; the model measured."""
    started = time.perf_counter()
    training: TrainingTimes | None = None
    if args.model:
        model = args.model
    else:
        _log("training our model from cold, then again unchanged...")
        training = time_training(args.workdir / "training")
        model = training.model
    default_model, default_training_s = args.default_model, None
    if default_model is None and not args.no_default:
        _log("training the default-configured model (skipped by Rasa when nothing changed)...")
        default_model, default_training_s = train_model(ROOT / "models" / "bench-default", config=DEFAULT_CONFIG)

    runs = args.workdir / "servers"
    shutil.rmtree(runs, ignore_errors=True)  # fresh databases: no returning volunteers
    models = {"ours": model} if default_model is None else {"ours": model, DEFAULTS: default_model}
    loads: list[LoadResult] = []
    parses: list[ParseTimings] = []
    memory: dict[str, dict[str, float]] = {}
    _log("starting the assistants...")
    with (
        started_assistant(model, runs / "ours", tracker_store_url=args.tracker_store_url) as ours,
        started_assistant(model, runs / "unpatched", tracker_store_url=args.tracker_store_url, speedups="0") as bare,
    ):
        assistants = {"ours": ours, UNPATCHED: bare}
        default_server = (
            started_assistant(default_model, runs / "default", tracker_store_url=args.tracker_store_url, speedups="0")
            if default_model
            else nullcontext(None)
        )
        with default_server as default:
            if default is not None:
                assistants[DEFAULTS] = default
            messages = parse_messages()
            for label, assistant in assistants.items():
                _log(f"NLU parses, {label}...")
                parses.append(time_parses(assistant.parse_url, label, messages, repeat=args.nlu_repeat))
            for level in args.levels:
                for label, assistant in assistants.items():
                    _log(f"{level} concurrent conversations, {label}...")
                    count = max(args.conversations, level)
                    loads.append(measured_load(assistant, label, level, count, max_messages=args.max_messages))
            memory = {label: assistant.peak_rss_mb() for label, assistant in assistants.items()}
    _log("matching...")
    matching = bench_matching.run(missions=args.matching[0], volunteers=args.matching[1])

    lines = _report(args, models, training, default_training_s, parses, loads, memory, matching)
    lines.insert(0, f"- Took {time.perf_counter() - started:.0f} s in all")
    content = INTRODUCTION + "\n\n" + "\n".join(context_lines(invocation()) + lines)
    write_section(args.report, "bench", content, title="Benchmarks")
    return model


def _report(
    args: argparse.Namespace,
    models: dict[str, Path],
    training: TrainingTimes | None,
    default_training_s: float | None,
    parses: list[ParseTimings],
    loads: list[LoadResult],
    memory: dict[str, dict[str, float]],
    matching: bench_matching.MatchingTimings,
) -> list[str]:
    """The report's lines after the context."""
    store = "PostgreSQL" if (args.tracker_store_url or "").startswith("postgresql") else "SQLite"
    lines = [
        "- Models: " + "; ".join(f"{label} `{path.name}`" for label, path in models.items()),
        f"- Tracker store: SQL ({store}); lock store in memory; one Rasa server process and one action server",
        "",
    ]
    ours_at = {load.concurrency: load for load in loads if load.label == "ours"}
    theirs_at = {load.concurrency: load for load in loads if load.label == DEFAULTS}
    bare_at = {load.concurrency: load for load in loads if load.label == UNPATCHED}
    targets: list[list[object]] = []
    if 10 in ours_at:
        p95 = percentile(ours_at[10].latencies_ms, 95)
        targets.append(["turn p95 at 10 concurrent conversations", f"{p95:.0f} ms", f"≤ {TARGET_P95_MS} ms",
                        _verdict(p95 <= TARGET_P95_MS, f"{p95 - TARGET_P95_MS:.0f} ms over")])  # fmt: skip
        if 10 in theirs_at:
            ratio = ours_at[10].throughput / theirs_at[10].throughput if theirs_at[10].throughput else 0
            targets.append(["messages/s at 10 concurrent, ours ÷ Rasa defaults", f"{ratio:.2f}×", "≥ 2×",
                            _verdict(ratio >= TARGET_RATIO, f"{TARGET_RATIO - ratio:.2f}× short")])  # fmt: skip
    for timings in parses[:1]:
        p95 = percentile(timings.timings_ms, 95)
        targets.append(["NLU parse p95", f"{p95:.1f} ms", f"≤ {TARGET_NLU_P95_MS} ms",
                        _verdict(p95 <= TARGET_NLU_P95_MS, f"{p95 - TARGET_NLU_P95_MS:.1f} ms over")])  # fmt: skip
    matching_p95 = percentile(matching.wall_ms, 95)
    targets.append(["matching p95 per volunteer (wall clock)", f"{matching_p95:.1f} ms",
                    f"≤ {TARGET_MATCHING_P95_MS} ms",
                    _verdict(matching_p95 <= TARGET_MATCHING_P95_MS,
                             f"{matching_p95 - TARGET_MATCHING_P95_MS:.1f} ms over")])  # fmt: skip
    if training is not None:
        targets.append(["full training from cold", f"{training.cold_s:.0f} s", f"≤ {TARGET_TRAINING_S} s",
                        _verdict(training.cold_s <= TARGET_TRAINING_S,
                                 f"{training.cold_s - TARGET_TRAINING_S:.0f} s over")])  # fmt: skip
    rss = memory.get("ours", {}).get("Rasa server")
    if rss is not None:
        targets.append(["Rasa server peak RSS", f"{rss:.0f} MB", f"≤ {TARGET_RSS_MB} MB",
                        _verdict(rss <= TARGET_RSS_MB, f"{rss - TARGET_RSS_MB:.0f} MB over")])  # fmt: skip
    lines += ["## Targets", "", *table(["measure", "value", "target", ""], targets), "", NOTES, ""]

    lines += [
        "## Conversations over HTTP",
        "",
        f"At most {args.max_messages} messages per conversation; conversations per level: "
        f"{args.conversations} or the level if larger.",
        "",
        *table(LOAD_HEADER, [load.row() for load in loads]),
        "",
    ]
    if bare_at:
        lines += [
            "The speed patches' own gain: the same model and configuration served with `RASA_SPEEDUPS=0` "
            "(Rasa as shipped), each group's share in the section of `scripts/bench_speedups.py`.",
            "",
            *table(
                [
                    "concurrent",
                    "p95 ours ÷ patches off",
                    "messages/s ours ÷ patches off",
                    "Rasa CPU per message, ours / patches off",
                ],
                [
                    [
                        level,
                        _ratio(*(percentile(at[level].latencies_ms, 95) for at in (ours_at, bare_at))),
                        _ratio(ours_at[level].throughput, bare_at[level].throughput),
                        f"{_cpu_ms(ours_at[level])} / {_cpu_ms(bare_at[level])} ms",
                    ]
                    for level in sorted(ours_at)
                    if level in bare_at
                ],
            ),  # fmt: skip
            "",
        ]
    if theirs_at:
        lines += [
            *table(
                ["concurrent", "p95 ours ÷ defaults", "messages/s ours ÷ defaults"],
                [
                    [
                        level,
                        _ratio(
                            percentile(ours_at[level].latencies_ms, 95), percentile(theirs_at[level].latencies_ms, 95)
                        ),
                        _ratio(ours_at[level].throughput, theirs_at[level].throughput),
                    ]
                    for level in sorted(ours_at)
                    if level in theirs_at
                ],  # fmt: skip
            ),
            "",
            "The default-configured model extracts no entities, so its conversations do not follow the same "
            "path (its form asks every question again, it saves fewer profiles within the message limit); "
            "each turn still runs the same kind of work: NLU, policies, custom actions, tracker store.",
            "",
        ]
    lines += [
        "## NLU parse latency",
        "",
        "`POST /model/parse`, one message at a time on a kept-alive connection: the held-out examples and the "
        "personas' first messages.",
        "",
        *table(NLU_HEADER, [timings.row() for timings in parses]),
        "",
        "## Training",
        "",
    ]
    if training is not None:
        lines += [
            f"- Our model (config.yml), from cold (empty output folder and Rasa cache): **{training.cold_s:.0f} s**",
            f"- Again with unchanged data, domain and config (what `make run` costs): {training.unchanged_s:.1f} s "
            + ("(Rasa skipped training)" if training.skipped else "(a new model from Rasa's cache of components)"),
        ]
    else:
        lines.append("- Our model: given on the command line, training not timed")
    if default_training_s is not None:
        lines.append(
            f"- Rasa defaults: {default_training_s:.0f} s (from cold only when data, domain or config changed "
            "since the last run; it is kept in models/bench-default)"
        )
    lines += ["", "## Memory", "", "Peak resident memory (VmHWM) after every measurement above:", ""]
    lines += table(
        ["model", "Rasa server", "action server"],
        [
            [label, f"{rss.get('Rasa server', 0):.0f} MB", f"{rss.get('action server', 0):.0f} MB"]
            for label, rss in memory.items()
        ],
    )
    index = "plain list" if matching.index_ms is None else f"`MissionIndex` built once in {matching.index_ms:.0f} ms"
    lines += [
        "",
        "## Matching",
        "",
        f"Top {matching.limit} of {matching.missions} missions for each of {matching.volunteers} synthetic "
        f"volunteers (`scripts/bench_matching.py`, missions at {matching.places}), {index}:",
        "",
        *table(
            ["clock", "p50 ms", "p95 ms", "max ms"],
            [
                [name, f"{percentile(values, 50):.2f}", f"{percentile(values, 95):.2f}", f"{max(values):.2f}"]
                for name, values in (("wall", matching.wall_ms), ("CPU", matching.cpu_ms))
            ],
        ),
    ]
    return lines


if __name__ == "__main__":
    main()
