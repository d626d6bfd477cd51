"""UpNext: one consistent Continue Watching / Up Next row across every streaming app."""

__version__ = "0.1.0"
