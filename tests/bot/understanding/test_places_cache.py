"""The gazetteer's cache under var/cache: the same gazetteer as built, rebuilt when unreadable or stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.understanding import places


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and no gazetteer in memory (the one before is back afterwards)."""
    monkeypatch.setattr(places, "CACHE_DIR", tmp_path / "cache")
    places._gazetteer.cache_clear()
    yield tmp_path / "cache"
    places._gazetteer.cache_clear()


def test_the_cached_gazetteer_is_the_built_one(cache_dir: Path) -> None:
    built = places._gazetteer()
    places._gazetteer.cache_clear()

    cached = places._gazetteer()

    assert [path.name for path in cache_dir.iterdir()] == [f"places-{places._inputs_digest()}.pickle"]
    assert cached is not built
    assert cached == built


def test_an_unreadable_cache_is_built_again(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / f"places-{places._inputs_digest()}.pickle").write_bytes(b"not a pickle")

    assert places._gazetteer() == places._built_gazetteer()


def test_a_stale_cache_is_removed(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "places-0000000000000000.pickle").write_bytes(b"built from other inputs")

    places._gazetteer()

    assert [path.name for path in cache_dir.iterdir()] == [f"places-{places._inputs_digest()}.pickle"]


def test_without_a_writable_cache_the_gazetteer_is_built(cache_dir: Path) -> None:
    cache_dir.write_text("a file where the folder should be")

    assert places.lookup_place("Villeurbanne") == places.Place("Villeurbanne", *_coordinates("Villeurbanne"), "69100")


def _coordinates(name: str) -> tuple[float, float]:
    town = places._gazetteer().best(places._key(name))
    assert town is not None
    return town.latitude, town.longitude
