"""Networks made of kernel objects: bridges, veth pairs, addresses, routes (pyroute2)."""
