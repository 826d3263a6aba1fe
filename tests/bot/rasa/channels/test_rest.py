"""The REST channel's checks, one by one (the running channel: tests/security/test_channels.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from bot.rasa.channels import owner_of
from bot.rasa.channels.rest import MAX_BODY_BYTES, RequestRefused, check_access, read_message


def request(ip: str = "127.0.0.1", **headers: str) -> Any:  # what check_access reads of a Sanic request
    return SimpleNamespace(ip=ip, headers={name.lower().replace("_", "-"): value for name, value in headers.items()})


@pytest.mark.parametrize(
    ("conversation_id", "owner"),
    [("web-AbC_12", "web"), ("4242", "telegram"), ("-100200", "telegram"), ("essai", "rest"), ("e2e-julie", "rest"),
     ("4242a", "rest"), ("webby", "rest")],
)  # fmt: skip
def test_each_conversation_id_has_one_owner(conversation_id: str, owner: str) -> None:
    assert owner_of(conversation_id) == owner


def test_without_a_token_only_this_machine_is_served() -> None:
    check_access(request("127.0.0.1"), "")
    check_access(request("::1"), "")
    for refused in (request("192.0.2.7"), request("127.0.0.1", X_Forwarded_For="192.0.2.7"), request("")):
        with pytest.raises(RequestRefused) as error:
            check_access(refused, "")
        assert error.value.status == 403


def test_with_a_token_every_caller_needs_it() -> None:
    check_access(request("192.0.2.7", Authorization="Bearer s3cret"), "s3cret")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        with pytest.raises(RequestRefused) as error:
            check_access(request("127.0.0.1", **headers), "s3cret")
        assert error.value.status == 401


def test_a_well_formed_message_is_read() -> None:
    assert read_message(json.dumps({"sender": "essai", "message": "bonjour"}).encode()) == ("essai", "bonjour")


def test_a_body_over_the_limit_is_not_parsed() -> None:
    with pytest.raises(RequestRefused) as error:
        read_message(b"{" + b" " * MAX_BODY_BYTES + b"}")
    assert error.value.status == 413


@pytest.mark.parametrize(
    "header", ["Via", "X_Forwarded_Proto", "CF_Connecting_IP", "X_Client_IP", "True_Client_IP", "X_Forwarded_Host"]
)
def test_without_a_token_any_sign_of_a_proxy_is_refused(header: str) -> None:
    with pytest.raises(RequestRefused) as error:
        check_access(request("127.0.0.1", **{header: "1.1 proxy"}), "")
    assert error.value.status == 403


@pytest.mark.parametrize("sender", [".", ".."])
def test_a_sender_of_dots_only_is_refused(sender: str) -> None:
    """A path segment in the addresses of Rasa's API, not a conversation (the console could not reach it)."""
    with pytest.raises(RequestRefused) as error:
        read_message(json.dumps({"sender": sender, "message": "bonjour"}).encode())
    assert error.value.status == 400
