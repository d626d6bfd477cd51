"""Webhooks: events to publishers, stored with the change that caused them (CONTRACT 7)."""
