"""bot.rasa.speedups.forms: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent

from bot.rasa.speedups import forms


def test_forms_unique_entity_mappings_are_rasas_own_worked_out_once_per_domain(agent: Agent, monkeypatch: Any) -> None:
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.domain import Domain

    rasas_own = forms._original["unique_entity_mappings"]
    calls = []
    counted = lambda *args: calls.append(args) or rasas_own(*args)  # noqa: E731
    monkeypatch.setitem(forms._original, "unique_entity_mappings", counted)
    monkeypatch.setattr(forms, "_unique_mappings", {})
    domain = agent.domain
    assert domain is not None and domain.form_names
    for name in domain.form_names:
        for _ in range(3):  # Rasa makes a new form action for each slot mapping it checks
            form = FormAction(name, None)
            assert form._create_unique_entity_mappings(domain) == rasas_own(form, domain)
    assert len(calls) == len(domain.form_names)
    other = Domain.from_dict(domain.as_dict())  # a reloaded model's domain is worked out again
    form = FormAction(domain.form_names[0], None)
    assert form._create_unique_entity_mappings(other) == rasas_own(form, other)
    assert len(calls) == len(domain.form_names) + 1
