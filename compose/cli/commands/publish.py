"""``pycompose publish REPOSITORY[:TAG]``: push the project's Compose files to a
registry as an OCI artifact, as ``docker compose publish`` does (v2.40): refused
for build-only services, for environment variables and env files unless
``--with-env``, for local includes; bind mounts are published only after a yes."""

from __future__ import annotations

import dataclasses
import sys

import yaml

from common.errors import UsageError
from compose import __version__
from compose.cli.commands.up import ask
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.publishing import PublishOptions, publish
from compose.planning import publish as plan
from compose.spec.model import Project


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("publish", help="publish the Compose application")
    parser.add_argument("--oci-version", choices=plan.OCI_VERSIONS, default=None,
                        help="OCI image/artifact specification version (by default 1.1, "
                             "or 1.0 when the registry refuses 1.1)")
    parser.add_argument("--resolve-image-digests", action="store_true",
                        help="pin image tags to digests")
    parser.add_argument("--with-env", action="store_true",
                        help="include environment variables in the published OCI artifact")
    parser.add_argument("-y", "--yes", action="store_true",
                        help='assume "yes" as answer to all prompts')
    parser.add_argument("repository", metavar="REPOSITORY[:TAG]")
    parser.set_defaults(prepare=prepare)


def _documents(files: tuple[str, ...]) -> list[object]:
    documents = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            documents.append(yaml.safe_load(handle))
    return documents


def prepare(inv: Invocation) -> Prepared:
    from compose.spec.loader import load_project

    args = inv.args
    loaded = load_project(dataclasses.replace(inv.load_options(), profiles=("*",)))
    for warning in loaded.warnings:
        inv.output.warn(warning)
    project = loaded.project
    if plan.local_includes(_documents(project.config_files)):
        raise UsageError("cannot publish compose file with local includes")
    plan.check_publishable(project, with_env=args.with_env, assume_yes=args.yes)
    binds = plan.bind_mounts(project)
    if binds and not args.yes:
        question = ("you are about to publish bind mounts declaration within your OCI "
                    "artifact (only the declarations, not their content): "
                    + ", ".join(binds) + ". Are you ok to publish these bind mount declarations?")
        if not sys.stdin.isatty():
            raise UsageError(question.replace(" Are you ok to publish these bind mount "
                                              "declarations?", " Pass -y to publish them."))
        if not ask(inv.output, question):
            return 0
    options = PublishOptions(oci_version=args.oci_version,
                             resolve_digests=args.resolve_image_digests,
                             with_env=args.with_env, version=__version__)
    return lambda ctx: _run(ctx, project, args.repository, options)


async def _run(ctx: Context, project: Project, repository: str,
               options: PublishOptions) -> int:
    await publish(ctx, project, repository, options)
    return 0
