"""The `releasebot` command line."""

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
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="releasebot", description=__doc__)
    sub = parser.add_subparsers(metavar="COMMAND")

    demo = sub.add_parser("demo", help="roll a new image out on a simulated cluster and watch it")
    demo.add_argument("--fail", action="store_true", help="deploy an image that never starts")
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
    sim.set_defaults(run=_sim)

    check = sub.add_parser("check-config", help="validate the configuration file and exit")
    check.add_argument("path", nargs="?", type=Path, help="default: $RELEASEBOT_CONFIG")
    check.set_defaults(run=_check_config)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(fail=args.fail)


def _sim(args: argparse.Namespace) -> int:
    from bot.kube.sim.behaviour import PodBehaviour
    from bot.kube.sim.serve import run_simulated_cluster

    kubeconfig = args.kubeconfig.resolve() if args.kubeconfig else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with run_simulated_cluster(
        port=args.port, kubeconfig_path=kubeconfig, namespace=args.namespace
    ) as sim:
        for pattern in args.bad_image:
            sim.cluster.images.set(pattern, PodBehaviour.bad_image())
        print(f"Simulated cluster serving at {sim.url}", flush=True)
        print(f"  kubectl --kubeconfig {sim.kubeconfig} get deployments", flush=True)
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def _check_config(args: argparse.Namespace) -> int:
    from bot.config import check_config, load_settings

    path = args.path or load_settings().config_path
    problems = check_config(path)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{path}: {len(problems)} problem(s); nothing was started.", file=sys.stderr)
        return 1
    print(f"{path}: configuration is valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
