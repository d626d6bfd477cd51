"""Contexts: a publisher's per-user list of items (CONTRACT section 3)."""
