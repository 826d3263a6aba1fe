"""Tests that play the attacker: each hole found by an outsider, closed."""
