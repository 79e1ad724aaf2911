"""``pycompose logout``: forget a registry's saved credentials."""

from __future__ import annotations

from compose.cli.invocation import Invocation, Prepared, Verbs


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("logout", help="log out from a registry")
    parser.add_argument("server", nargs="?", metavar="SERVER")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    host, erased = inv.host.logout(inv.args.server, inv.environ)
    if erased:
        inv.output.text(f"Removing login credentials for {host}")
    else:
        inv.output.text(f"Not logged in to {host}")
    return 0
