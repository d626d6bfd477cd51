"""Accounts, keys, avails, platform data and app media: the Portal API (CONTRACT section 6)."""
