"""docker compose's Go structs: values typed, ordered and printed as Go prints
them, so ``pycompose config`` matches ``docker compose config``."""
