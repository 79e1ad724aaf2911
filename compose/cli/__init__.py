"""The command line: docker compose's verbs and flags, one module per verb, and
the views that print their results."""
