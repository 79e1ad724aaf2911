"""Building images from a Dockerfile without Docker: parsing, stages, the build
context, steps under runc, the layer cache."""
