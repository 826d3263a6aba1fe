"""bot.geo: one great-circle distance, and the bulk versions of matching and the console agree with it."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from bot import matching
from bot.geo import EARTH_RADIUS_KM, KM_PER_DEGREE, distance_km, flat_km, haversine_km, radians_km_to_many
from bot.profile import Place

LYON = Place("Lyon", 45.758, 4.835, "69001")
PARIS = Place("Paris", 48.8566, 2.3522, "75001")
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")


def test_known_distances() -> None:
    assert round(distance_km(LYON, PARIS)) == 392
    assert round(distance_km(LYON, VILLEURBANNE), 1) == 3.6
    assert distance_km(LYON, LYON) == 0.0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert pytest.approx(111.195, abs=0.001) == KM_PER_DEGREE


def test_the_flat_approximation_is_within_a_thousandth_at_a_towns_scale() -> None:
    rng = random.Random(3)
    for _ in range(500):
        lat, lon = rng.uniform(42, 51), rng.uniform(-4, 8)
        other = (lat + rng.uniform(-0.3, 0.3), lon + rng.uniform(-0.3, 0.3))
        assert flat_km(lat, lon, *other) == pytest.approx(haversine_km(lat, lon, *other), rel=1e-3, abs=1e-6)


def test_matching_and_the_consoles_bulk_distances_are_the_same_formula() -> None:
    rng = random.Random(7)
    points = [(rng.uniform(41, 51), rng.uniform(-5, 9)) for _ in range(200)]
    lats, lons = np.radians([p[0] for p in points]), np.radians([p[1] for p in points])
    consoles = radians_km_to_many(45.758, 4.835, lats, lons)
    for (lat, lon), bulk in zip(points, consoles, strict=True):
        expected = haversine_km(45.758, 4.835, lat, lon)
        here = Place("X", lat, lon, "00000")
        assert matching._km_between(matching._point(LYON), matching._point(here)) == pytest.approx(expected, rel=1e-12)
        assert bulk == pytest.approx(expected, rel=1e-12)
