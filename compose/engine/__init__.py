"""The trio shell that carries plans out: observe, execute, wait on
dependencies, and the operations the verbs share.  Backends only through
the Protocols of ``engine.backends``."""
