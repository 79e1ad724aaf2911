"""Planning, pure and synchronous: what the project asks for against what is
there, into plans of operations; start/stop order, rollouts, restarts, health."""
