"""Building images from a Dockerfile without Docker: parsing, stages, the build
context, steps under runc, the layer cache, and ``import --change`` (Dockerfile
instructions applied to an imported image's config)."""
