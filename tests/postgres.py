"""A throw-away PostgreSQL server from the Debian ``postgresql`` package, for the tests.

``initdb`` and ``pg_ctl`` run in a temporary folder (as the ``postgres`` user when the tests
run as root, since PostgreSQL refuses to run as root), listening on 127.0.0.1 on a free port,
with password authentication, so the tests also prove that passwords never leak.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PASSWORD = "s3cret-pw-1234"
USER = "logicrm"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server() -> Iterator[str]:
    """Start a server, yield its URI (``postgresql://logicrm:...@127.0.0.1:PORT/logicrm``),
    and stop it and remove its folder afterwards."""
    bin_dir = binaries()
    assert bin_dir is not None, "PostgreSQL is not installed (apt-get install postgresql)"
    folder = Path(tempfile.mkdtemp(prefix="logicrm-pg-"))
    data = folder / "data"
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(folder, "postgres")
    password_file = folder / "pw"
    password_file.write_text(PASSWORD + "\n")
    if as_root:
        shutil.chown(password_file, "postgres")
    port = _free_port()
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256",
         f"--pwfile={password_file}", "-E", "UTF8", "--locale=C.UTF-8"],
        **run,
    )  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c TimeZone=UTC"
    subprocess.run(
        [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
         str(folder / "log"), "-w", "start"],
        **run,
    )  # fmt: skip
    uri = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
    try:
        _create_database(uri)
        yield uri.rsplit("/", 1)[0] + "/logicrm"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _create_database(uri: str) -> None:
    import psycopg

    deadline = time.monotonic() + 20
    while True:
        try:
            with psycopg.connect(uri, autocommit=True) as connection:
                connection.execute("CREATE DATABASE logicrm")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
