"""Sessions: a platform user's attached contexts and their aggregated list (CONTRACT 4)."""
