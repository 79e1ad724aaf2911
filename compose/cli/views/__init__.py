"""What the verbs print, as docker prints it (pure: rows, tables, formats)."""
