"""Volunteer onboarding assistant: domain code shared by Rasa, the action server and the CLI."""
