"""The speed patches installed for the tests of this folder, and Rasa as shipped again after them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.rasa import speedups


@pytest.fixture(scope="package", autouse=True)
def installed() -> Iterator[None]:
    assert speedups.install() == speedups.GROUPS
    assert speedups.install() == speedups.GROUPS  # idempotent
    yield
    speedups.uninstall()
