"""actions.digressions: the intents that interrupt the profile form are the domain's, not a copy that drifts."""

from __future__ import annotations

import yaml

from actions.digressions import DIGRESSIONS
from bot.config import ROOT


def test_the_digressions_are_the_intents_no_profile_slot_is_filled_from() -> None:
    """domain.yml's ``&digressions`` list: every slot of the profile form ignores its entities in these intents."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    asked = domain["forms"]["profile_form"]["required_slots"]
    ignored = [
        frozenset(mapping["not_intent"])
        for slot in asked
        for mapping in domain["slots"][slot]["mappings"]
        if mapping.get("type") == "from_entity" and "not_intent" in mapping
    ]
    assert len(ignored) >= 5 and set(ignored) == {DIGRESSIONS}
    assert set(domain["intents"]) >= DIGRESSIONS
