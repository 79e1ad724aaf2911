"""A service as an OCI runtime ``config.json`` (pure): capabilities, seccomp,
devices, namespaces, resources, users, Docker's defaults."""
