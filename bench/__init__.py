"""The UpNext benchmark: data generator, wrk scenarios, raw-ASGI ceiling and report."""
