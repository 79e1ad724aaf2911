"""The Compose file: the model, the loading phases, and docker compose's
Go-compatible rendering.  Pure: no I/O beyond reading the files."""
