"""Storage: the one schema, its migrations and the engines that reach it."""
