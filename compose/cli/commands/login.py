"""``pycompose login``: check credentials against a registry and save them in
Docker's client config, where ``pull`` and ``push`` (and docker) find them."""

from __future__ import annotations

import getpass
import sys

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("login", help="log in to a registry")
    parser.add_argument("-u", "--username")
    parser.add_argument("-p", "--password")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input")
    parser.add_argument("server", nargs="?", metavar="SERVER")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    """Runs here, without the container backends: login needs no root."""
    args = inv.args
    username, password = args.username, args.password
    if args.password_stdin:
        if password:
            raise UsageError("--password and --password-stdin are mutually exclusive")
        if not username:
            raise UsageError("--password-stdin needs --username")
        password = sys.stdin.read().rstrip("\r\n")
    if not username:
        if not sys.stdin.isatty():
            raise UsageError("no username given (-u) and no terminal to ask on")
        username = input("Username: ")
    if not password:
        if not sys.stdin.isatty():
            raise UsageError("no password given (-p or --password-stdin) and no terminal "
                             "to ask on")
        password = getpass.getpass("Password: ")
    if args.password and not args.password_stdin:
        inv.output.warn("using --password on the command line is insecure; "
                        "use --password-stdin")
    _, path = inv.host.login(args.server, username, password, inv.environ)
    inv.output.text(f"Login Succeeded (credentials saved in {path})")
    return 0
