"""The developer portal: a server-rendered web UI mounted at ``/portal``."""
