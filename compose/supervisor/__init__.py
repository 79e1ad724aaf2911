"""The supervisor: one long-lived trio process per project that restarts,
health-checks and serves DNS for its containers, and how it is started."""
