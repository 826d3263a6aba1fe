"""Distances on the Earth's surface: one radius and one formula for the whole project.

Usage::

    from bot.geo import distance_km, haversine_km
    distance_km(lyon, villeurbanne)                 # two objects with latitude and longitude
    haversine_km(45.76, 4.84, 45.77, 4.88)          # four numbers, in degrees

Understanding (the commune nearest a shared location), matching and the console's
suggestions use the great-circle distance (haversine formula) with :data:`EARTH_RADIUS_KM`.
Matching computes it in bulk with each point's radians and cosine worked out once
(``bot.matching._km_between``), the console's suggestions with numpy
(:func:`radians_km_to_many`): both tested equal to :func:`haversine_km`. The lead search
filters and orders in SQL with :func:`flat_km`'s approximation, which any SQL engine can
compute (within 0.1 % of the great circle at a town's scale).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
KM_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_KM / 360  # along a meridian: 111.195 km


class Located(Protocol):
    """Anything with a latitude and a longitude in degrees (a Place, a town of the gazetteer)."""

    @property
    def latitude(self) -> float: ...

    @property
    def longitude(self) -> float: ...


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(first: Located, second: Located) -> float:
    """Great-circle distance between two places, in kilometres."""
    return haversine_km(first.latitude, first.longitude, second.latitude, second.longitude)


def flat_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on a plane tangent at the first point (equirectangular): what SQL filters and orders by."""
    dlat = (lat2 - lat1) * KM_PER_DEGREE
    dlon = (lon2 - lon1) * KM_PER_DEGREE * math.cos(math.radians(lat1))
    return math.hypot(dlat, dlon)


def radians_km_to_many(latitude: float, longitude: float, latitudes: Any, longitudes: Any) -> Any:
    """haversine_km from one point in degrees to numpy arrays of points in radians (NaN stays NaN)."""
    import numpy as np

    lat, lon = math.radians(latitude), math.radians(longitude)
    h = np.sin((latitudes - lat) / 2) ** 2 + math.cos(lat) * np.cos(latitudes) * np.sin((longitudes - lon) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
