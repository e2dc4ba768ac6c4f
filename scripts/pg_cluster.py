"""A throwaway PostgreSQL cluster on loopback, for CI, tests and the fault benchmark.

``python scripts/pg_cluster.py start --dir /tmp/soi-pg --port 55432`` initialises a cluster in DIR (if it has
none), starts it listening on 127.0.0.1 only, creates the database ``soi`` and prints its SQLAlchemy URL.
``stop`` stops it (``--immediate``: like a crash), ``destroy`` stops it and removes DIR. Needs the PostgreSQL
server binaries (Debian: ``apt-get install postgresql``); when run as root it runs them as ``postgres``.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATABASE = "soi"
USER = "soi"
PASSWORD = "soi"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's /usr/lib/postgresql/<v>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _as_owner(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; Debian's package creates the 'postgres' user
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_as_owner(args), check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def url_for(port: int) -> str:
    """The SQLAlchemy URL of the cluster's database."""
    return f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"


def start(data_dir: Path, port: int, bin_dir: Path) -> str:
    """Initialise (once) and start the cluster; returns the database URL."""
    fresh = not (data_dir / "PG_VERSION").exists()
    if fresh:
        data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data_dir, "postgres", "postgres")
        pwfile = data_dir.parent / f".{data_dir.name}.pw"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        _run([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", USER, "--pwfile", str(pwfile), "-A", "scram-sha-256",
              "-E", "UTF8", "--locale", "C.UTF-8"])  # fmt: skip
        pwfile.unlink()
    socket_dir = data_dir / "sock"
    socket_dir.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(socket_dir, "postgres", "postgres")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir} -c max_connections=200 -c fsync=on"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(data_dir / "server.log"), "-w",
          "-t", "60", "start"])  # fmt: skip
    if fresh:
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        psql = shutil.which("psql") or str(bin_dir / "psql")
        subprocess.run([psql, "-h", "127.0.0.1", "-p", str(port), "-U", USER, "-d", "postgres", "-q", "-c",
                        f"CREATE DATABASE {DATABASE}"], check=True, env=env, capture_output=True)  # fmt: skip
    return url_for(port)


def stop(data_dir: Path, bin_dir: Path, *, immediate: bool) -> None:
    """Stop the cluster; ``immediate`` is PostgreSQL's crash-like shutdown."""
    if not (data_dir / "postmaster.pid").exists():
        return
    _run([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate" if immediate else "fast", "-w", "stop"])


def main(argv: list[str] | None = None) -> int:
    """Command line: start, stop or destroy a cluster."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "destroy"])
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=55432)
    parser.add_argument("--immediate", action="store_true")
    args = parser.parse_args(argv)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; install them, e.g. `apt-get install postgresql`",
            file=sys.stderr,
        )
        return 3
    data_dir = args.dir.resolve()
    try:
        if args.action == "start":
            print(start(data_dir, args.port, bin_dir))
        elif args.action == "stop":
            stop(data_dir, bin_dir, immediate=args.immediate)
        else:
            stop(data_dir, bin_dir, immediate=True)
            time.sleep(0.2)
            shutil.rmtree(data_dir, ignore_errors=True)
    except subprocess.CalledProcessError as exc:
        print(f"{' '.join(exc.cmd)} failed:\n{exc.stdout or ''}{exc.stderr or ''}", file=sys.stderr)
        log = data_dir / "server.log"
        if log.exists():
            print(log.read_text()[-2000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
