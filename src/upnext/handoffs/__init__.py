"""One-time handoff tokens: a publisher's consent for a platform to attach one context."""
