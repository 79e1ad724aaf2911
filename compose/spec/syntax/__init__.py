"""Compose's short syntaxes (ports, volumes, command words, .env files) read as
docker compose reads them (pure)."""
