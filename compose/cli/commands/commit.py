"""``pycompose commit SERVICE [REPOSITORY[:TAG]]``: a new image from what a service
container changed, in the image store for ``images``, ``run`` and ``up``."""

from __future__ import annotations

from common.errors import UsageError
from compose.cli.commands.inspect import gather
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.inspection import container_config
from compose.engine import snapshots
from compose.engine.context import Context

TRUE = ("1", "t", "T", "TRUE", "true", "True")
FALSE = ("0", "f", "F", "FALSE", "false", "False")
"""What Go's ``strconv.ParseBool`` takes: ``--pause=false``."""


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("commit", help="create a new image from a service container's "
                              "changes")
    parser.add_argument("-a", "--author", default="",
                        help='author (e.g. "John Hannibal Smith <hannibal@a-team.com>")')
    parser.add_argument("-c", "--change", action="append", default=[], metavar="INSTRUCTION",
                        help="apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, "
                        "ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)")
    parser.add_argument("--index", type=int, default=None,
                        help="number of the container if the service has several replicas")
    parser.add_argument("-m", "--message", default="", help="commit message")
    parser.add_argument("-p", "--pause", nargs="?", const="true", default="true",
                        metavar="BOOL", help="pause the container during the commit "
                        "(default true; --pause=false not to)")
    parser.add_argument("words", nargs="*", metavar="SERVICE [REPOSITORY[:TAG]]")
    parser.set_defaults(prepare=prepare, named_services="commit_services")


def split_words(pause: str, words: list[str]) -> tuple[bool, str, str | None]:
    """The pause flag, the service and the image name.  ``-p`` is a boolean flag that
    takes ``=false``: a word after it that is not a boolean was a positional one."""
    if pause not in TRUE + FALSE:
        words, pause = [pause, *words], "true"
    if not 1 <= len(words) <= 2:
        raise UsageError(f"accepts between 1 and 2 arg(s), received {len(words)}")
    return pause in TRUE, words[0], words[1] if len(words) == 2 else None


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    pause, service, name = split_words(args.pause, list(args.words))
    for change in args.change:
        if not change.strip():
            raise UsageError("--change: an empty instruction")
    args.commit_services = [service]
    project = inv.project_name()
    inv.check_services([service])

    async def run(ctx: Context) -> int:
        record = await snapshots.running_container(ctx, project, service, args.index)
        # as docker commit: how the container runs becomes the image's config
        facts = await gather(ctx, await ctx.containers.status(record))
        await snapshots.commit(ctx, record, name, changes=args.change, message=args.message,
                               author=args.author, pause=pause,
                               container_config=container_config(facts))
        return 0

    return run
