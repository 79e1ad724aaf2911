"""Images to and from registries: the OCI distribution API client, pulls and
pushes, credentials."""
