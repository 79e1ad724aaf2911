"""The OCI driver: containers run by runc (or crun) under conmon, their root
filesystems, cgroups, attach, exec, logs and copies."""
