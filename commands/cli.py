"""The `releasebot` command line: the process entry point, above every other layer (it wires
the bot, its slash commands and storage together)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    from bot.config import ConfigError
    from storage.errors import StorageError

    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except (ConfigError, StorageError) as err:
        print(f"releasebot: {err}", file=sys.stderr)
        return 1
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="releasebot", description="A ChatOps release bot for Slack and Kubernetes."
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="try the bot in this terminal: Slack played here, a simulated cluster, no setup",
        description="Start the bot as `serve` does, on a simulated cluster, with a console "
        "that plays Slack: type slash commands, click buttons, react, switch user. "
        "Commands are read from standard input, so a script can be piped in.",
    )
    demo.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="keep the demo's SQLite database in this file (default: a temporary one)",
    )
    demo.add_argument(
        "--fast",
        action="store_true",
        help="pods start in 0.2 s and a stuck rollout fails after 3 s (for scripted sessions)",
    )
    demo.set_defaults(run=_demo)

    sim = sub.add_parser("sim", help="serve a simulated Kubernetes cluster until Ctrl-C")
    sim.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)")
    sim.add_argument("--kubeconfig", type=Path, help="where to write the kubeconfig")
    sim.add_argument("--namespace", default="default", help="default namespace (created)")
    sim.add_argument(
        "--bad-image",
        action="append",
        default=[],
        metavar="PATTERN",
        help="an image (glob) whose pods never start; repeatable",
    )
    sim.add_argument(
        "--ready-after",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long a pod takes to become Ready (default 2)",
    )
    sim.set_defaults(run=_sim)

    serve = sub.add_parser(
        "serve", help="run the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP mode)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address for the HTTP endpoints")
    serve.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    serve.add_argument(
        "--simulated-kubeconfig",
        type=Path,
        help="kubeconfig of a `releasebot sim` cluster, for clusters with simulated: true",
    )
    serve.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="info",
        help="what the bot logs to standard error (default info)",
    )
    serve.set_defaults(run=_serve)

    check = sub.add_parser("check-config", help="validate the configuration file and exit")
    check.add_argument("path", nargs="?", type=Path, help="default: $RELEASEBOT_CONFIG")
    check.set_defaults(run=_check_config)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply the schema migrations (safe to repeat)")
    upgrade.set_defaults(run=_db_upgrade)
    grant = db_sub.add_parser(
        "grant",
        help="PostgreSQL: give ROLE what the running bot needs, and on the audit log only "
        "SELECT and INSERT (run it as the owner, after each upgrade)",
    )
    grant.add_argument(
        "role", help="an existing role that neither owns the tables nor is superuser"
    )
    grant.set_defaults(run=_db_grant)

    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    audit_sub = audit.add_subparsers(metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="recompute the hash chain; report the first break")
    verify.add_argument(
        "--expect",
        metavar="SEQ:HASH",
        help="a chain head kept outside the database (as printed here, or posted to the audit "
        "channel): detects the newest events being deleted",
    )
    verify.set_defaults(run=_audit_verify)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from commands.console import run_demo

    return run_demo(db=args.db, fast=args.fast)


def _sim(args: argparse.Namespace) -> int:
    from bot.kube.sim.behaviour import PodBehaviour
    from bot.kube.sim.serve import run_simulated_cluster
    from commands import messages

    kubeconfig = args.kubeconfig.resolve() if args.kubeconfig else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    written: Path | None = None
    try:
        # Ctrl-C may come at any moment, even before the first line is out
        with (
            contextlib.suppress(KeyboardInterrupt),
            run_simulated_cluster(
                port=args.port, kubeconfig_path=kubeconfig, namespace=args.namespace
            ) as sim,
        ):
            written = sim.kubeconfig
            sim.cluster.images.default = PodBehaviour.ready(after=args.ready_after)
            for pattern in args.bad_image:
                sim.cluster.images.set(pattern, PodBehaviour.bad_image())
            print(f"Simulated cluster serving at {sim.url}", flush=True)
            print(f"  kubectl --kubeconfig {sim.kubeconfig} get deployments", flush=True)
            print("Ctrl-C stops it.", flush=True)
            stop.wait()
    finally:
        if written is not None:
            # it names a port nobody serves any more; a later kubectl would only time out on it
            written.unlink(missing_ok=True)
    if written is not None:
        print(messages.SIM_STOPPED.format(kubeconfig=written), flush=True)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from commands.serve import run_serve

    return run_serve(
        host=args.host,
        port=args.port,
        simulated_kubeconfig=args.simulated_kubeconfig,
        log_level=args.log_level,
    )


def _check_config(args: argparse.Namespace) -> int:
    from bot.config import check_config, load_settings
    from bot.config import messages as config_messages

    path = args.path or load_settings().config_path
    problems = check_config(path)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        summary = (
            config_messages.CHECKED_PROBLEMS.format(file=path, count=len(problems))
            if Path(path).is_file()
            else config_messages.CHECKED_UNREADABLE.format(file=path)
        )
        print(summary, file=sys.stderr)
        return 1
    print(config_messages.CHECKED_VALID.format(file=path))
    return 0


def _database_url() -> str:
    from bot.config import load_settings

    return load_settings().database_url.get_secret_value()


def _db_upgrade(args: argparse.Namespace) -> int:
    from commands.database import UNUSABLE
    from storage.engine import redact
    from storage.errors import DatabaseUnavailable
    from storage.migrate import upgrade

    url = _database_url()
    try:
        upgrade(url)
    except DatabaseUnavailable as err:
        print(f"releasebot: {err}", file=sys.stderr)
        return UNUSABLE
    print(f"{redact(url)}: schema is up to date.")
    return 0


def _db_grant(args: argparse.Namespace) -> int:
    from commands.database import UNUSABLE, Unusable, migrated_engine
    from storage.engine import redact
    from storage.roles import RoleRefused, grant_runtime_role

    url = _database_url()
    try:
        engine = migrated_engine(url)
    except Unusable as err:
        print(f"releasebot: {err}", file=sys.stderr)
        return UNUSABLE
    try:
        grant_runtime_role(engine, args.role)
    except RoleRefused as err:
        print(f"releasebot db grant: {err}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(
        f"{redact(url)}: {args.role} may now run the bot; it can append to and read the audit "
        "log but not change, alter or empty it."
    )
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from commands.database import UNUSABLE, Unusable, migrated_engine
    from storage.audit import ChainHead, verify_chain
    from storage.engine import redact

    try:
        expect = ChainHead.parse(args.expect) if args.expect else None
    except ValueError as err:
        print(f"releasebot audit verify: {err}", file=sys.stderr)
        return 2
    url = _database_url()
    try:
        engine = migrated_engine(url)
    except Unusable as err:
        print(f"releasebot: {err}", file=sys.stderr)
        return UNUSABLE
    try:
        with Session(engine) as session:
            result = verify_chain(session=session, expect=expect)
    finally:
        engine.dispose()
    if result.ok:
        kept = f" It contains the kept head {expect}." if expect else ""
        head = f" Head: {result.head} (keep it to detect deletions later)." if result.head else ""
        print(f"{redact(url)}: audit log intact, {result.checked} event(s) checked.{kept}{head}")
        return 0
    print(
        f"{redact(url)}: audit log BROKEN at event #{result.broken_at}: {result.reason}. "
        "Everything from that event on is untrustworthy; restore it from a backup and "
        "find out who had write access to the database.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
