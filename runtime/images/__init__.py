"""The local image store: an OCI image layout, references, layers, archives,
import and the offline bootstrap image."""
