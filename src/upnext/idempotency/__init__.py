"""Idempotency keys of writes, stored in the database so every process honours them."""
