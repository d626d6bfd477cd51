"""Building blocks that know nothing of UpNext: errors, ids, pagination, time, limits."""
