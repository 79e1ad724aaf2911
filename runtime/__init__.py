"""Images, root filesystems and the OCI runtime driver (runc/crun under conmon)."""
