"""What the tests of several Rasa processes say and check, with or without a proxy in front.

A conversation that gives facts before consenting and then a whole profile, each message sent to
the address the test chooses (one process, the other, or the proxy), and a chat bubble that waits
for a push made elsewhere.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence

import requests
import websockets.client
from websockets.typing import Origin

APOLOGY = "problème technique"
NAMES = ["Inès", "Paul", "Léa", "Omar", "Chloé", "Hugo", "Maëlle", "Yanis", "Zoé", "Rémi"]


def say(webhook: str, sender: str, message: str, *, token: str = "") -> str:
    """One message to the REST channel at ``webhook``; the answer's texts, joined."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = requests.post(webhook, json={"sender": sender, "message": message}, headers=headers, timeout=240)
    assert answer.status_code == 200, (answer.status_code, answer.text[:200])
    return "\n".join(reply.get("text", "") for reply in answer.json())


def profile_conversation(send: Callable[[int, str], str], sender: str, name: str) -> None:
    """Facts before consent, consent, then the whole profile: ``send(step, message)`` says each message.

    The name and the town come before the consent; the age question after it proves they were kept.
    """
    said = send(0, f"Bonjour, je m'appelle {name}, j'habite à Bron et je voudrais devenir bénévole")
    assert "enregistrer" in said, said
    assert "âge" in send(1, "oui"), "the name and the town said before consent were lost"
    steps: Sequence[tuple[str, str]] = [
        ("34 ans", "faire"), ("je suis infirmière", "disponible"), ("le samedi matin", "causes"),
        ("la santé et la solidarité", "recontacter"), (f"{sender}@exemple.fr", "Est-ce correct"),
        ("oui c'est correct", f"Merci {name}"),
    ]  # fmt: skip
    for step, (message, expected) in enumerate(steps, start=2):
        answer = send(step, message)
        assert expected in answer, (name, message, answer)


async def bubble_gets_push(socket_url: str, origin: str, push: Callable[[str], object]) -> str:
    """Open a bubble at ``socket_url``, wait for its welcome, call ``push(sender)``, return the next bot text."""
    async with websockets.client.connect(socket_url, origin=Origin(origin), ping_interval=None, open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "hello", "conversation": None}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        sender = welcome["conversation"].rsplit(".", 1)[0]
        await ws.send(json.dumps({"type": "start"}))
        while json.loads(await asyncio.wait_for(ws.recv(), 60)) != {"type": "typing", "on": False}:
            pass
        await asyncio.get_running_loop().run_in_executor(None, push, sender)
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame.get("type") == "bot":
                return str(frame["text"])
