"""``pycompose convert``: a loaded project as Kubernetes manifests.

Pure code: every module turns part of the canonical Compose model into plain
Kubernetes objects (dicts) and records what cannot be expressed as a warning
naming the service and key.  ``core.convert`` puts the parts together; the only
I/O (reading files for ConfigMaps and Secrets) goes through the ``Host`` protocol
that the command module implements.
"""
