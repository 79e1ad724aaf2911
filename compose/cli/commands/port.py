"""``pycompose port SERVICE PRIVATE_PORT``: the host address a container port is
published on, printed as docker compose prints it (``0.0.0.0:8080``)."""

from __future__ import annotations

import argparse

from common.errors import UsageError
from common.status import ContainerStatus
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.pslist import publishers
from compose.engine.context import Context
from compose.engine.observe import observe


def find_port(statuses: list[ContainerStatus], service: str, port: int, protocol: str,
              index: int = 0) -> str:
    """``host:port`` of the first publisher of ``port/protocol`` of the service's
    container (number ``index``, else the lowest), as docker compose finds it."""
    candidates = sorted((s for s in statuses if s.record.service == service
                         and (not index or s.record.number == index)),
                        key=lambda s: s.record.number)
    if not candidates:
        suffix = f" container #{index}" if index else ""
        raise UsageError(f'service "{service}" is not running{suffix}')
    status = candidates[0]
    if status.running:
        for entry in publishers(status.record):
            if entry["TargetPort"] == port and entry["Protocol"] == protocol:
                return f"{entry['URL']}:{entry['PublishedPort']}"
    raise UsageError(f"no port {port}/{protocol} for container {status.record.name}: "
                     "not found")


async def port(ctx: Context, project_name: str, service: str, private_port: int,
               protocol: str, index: int) -> int:
    observed = await observe(ctx.layout, project_name, ctx.containers)
    ctx.output.text(find_port(list(observed.containers), service, private_port, protocol,
                              index))
    return 0


def _port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"port {value} is out of range")
    return value


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("port", help="print the public port for a port binding")
    parser.add_argument("--protocol", choices=["tcp", "udp", "sctp"], default="tcp",
                        help="tcp or udp (default tcp)")
    parser.add_argument("--index", type=int, default=0,
                        help="index of the container if the service has several")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("private_port", type=_port_number, metavar="PRIVATE_PORT")
    parser.set_defaults(prepare=prepare, named_services="service_list")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    args.service_list = [args.service]
    name = inv.project_name()
    inv.check_services(args.service_list)
    return lambda ctx: port(ctx, name, args.service, args.private_port, args.protocol,
                            args.index)
