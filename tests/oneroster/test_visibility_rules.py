"""Fail closed: every canonical family declares who may see its rows; a family without a rule
stops the gateway when it is built and when an app is registered, never a silent `true()`."""

from __future__ import annotations

import pytest

from adapters.canonical import FAMILIES, Family
from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.policy.agreement import parse_agreement
from gateway.policy.scoping import MissingVisibilityRule, Scope, check_rules


def test_every_canonical_family_has_a_visibility_rule():
    check_rules()
    for family in FAMILIES:
        assert callable(getattr(Scope, f"_{family}"))


@pytest.fixture
def a_family_without_a_rule():
    """A new family added to the model by a contributor who forgot the policy."""
    FAMILIES["pets"] = Family(name="pets", table="pets", fields=())
    yield "pets"
    del FAMILIES["pets"]


def test_the_gateway_refuses_to_start_with_a_family_that_has_no_rule(a_family_without_a_rule,
                                                                      database_url):
    with pytest.raises(MissingVisibilityRule, match="pets"):
        create_app({"database_url": database_url})


def test_no_app_can_be_registered_while_a_family_has_no_rule(a_family_without_a_rule, engine):
    agreement = parse_agreement({"name": "x", "purpose": "instruction",
                                 "expires": "2099-12-31", "scopes": ["roster.readonly"]})
    with pytest.raises(MissingVisibilityRule, match="pets"):
        register_app(engine, "x", agreement)


def test_asking_for_an_unknown_family_is_an_error_not_every_row(engine):
    with engine.connect() as conn:
        scope = Scope(conn, app_id=1, schools=None)
        with pytest.raises(MissingVisibilityRule):
            scope.visible("pets")
