"""The local image store: an OCI image layout, references, layers, archives
and the offline bootstrap image (``import`` is ``runtime.build.importer``)."""
