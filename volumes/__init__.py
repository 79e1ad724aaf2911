"""Volumes: named, bind and tmpfs mounts (arrives with the storage issue)."""
