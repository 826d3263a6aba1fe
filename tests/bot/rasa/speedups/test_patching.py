"""bot.rasa.speedups.patching: an attribute replaced and put back as it was."""

from __future__ import annotations

import pytest

from bot.rasa.speedups import patching


def test_functions_static_methods_and_missing_attributes_are_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patching, "_replaced", {})  # leave the Rasa patches of the other tests alone

    class Owner:
        def method(self) -> str:
            return "own"

        @staticmethod
        def static(value: int) -> int:
            return value

    before = dict(vars(Owner))
    assert patching.replace(Owner, "method", lambda self: "ours")(Owner()) == "own"  # the original, to call
    assert patching.replace(Owner, "method", lambda self: "again")(Owner()) == "own"  # still the original
    assert patching.replace(Owner, "static", staticmethod(lambda value: -value))(3) == 3
    assert patching.replace(Owner, "__copy__", lambda self: self) is None
    assert (Owner().method(), Owner.static(3)) == ("again", -3)
    assert {(Owner, "method"), (Owner, "static"), (Owner, "__copy__")} <= patching.replaced()
    patching.restore_all()
    assert dict(vars(Owner)) == before
    assert (Owner().method(), Owner.static(3)) == ("own", 3)
