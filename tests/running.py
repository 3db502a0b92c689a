"""`mockserve run` as a real process, for tests that read what it prints: every wait bounded."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Running:
    """A `mockserve run ...` process whose stderr is read line by line on a thread.

    `command` defaults to this checkout's `python -m mockserve`; pass another (an
    installed `mockserve` script) to run that one instead.
    """

    def __init__(
        self,
        *args: str,
        cwd: Path,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        subcommand: str = "run",
    ):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | (env or {})
        if command is None:
            command = [sys.executable, "-m", "mockserve"]
            env["PYTHONPATH"] = str(ROOT)
        self.process = subprocess.Popen(
            [*command, subcommand, *args],
            cwd=cwd,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.lines: list[str] = []  # what it printed so far, without line ends
        self.url: str | None = None
        self._ended = False  # its last line was read

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _read(self) -> None:
        for line in self.process.stderr:  # type: ignore[union-attr]
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)  # the process closed its stderr: it ended

    def read_line(self, timeout: float = 30) -> str:
        """The next line printed; AssertionError if none comes in time or it ended."""
        return self.read_until("", timeout)[-1]

    def read_until(self, prefix: str, timeout: float = 30) -> list[str]:
        """The lines printed up to and including the first starting with `prefix`."""
        read: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                message = f"no line starting {prefix!r} in {timeout} s: {read}"
                raise AssertionError(message) from None
            if line is None:
                self._ended = True
                raise AssertionError(f"mockserve ended before printing {prefix!r}: {read}")
            read.append(line)
            self.lines.append(line)
            if line.startswith(prefix):
                return read

    def serving(self) -> list[str]:
        """Wait for the `mockserve: serving ... on URL` line; the lines up to it."""
        read = self.read_until("mockserve: serving")
        self.url = re.search(r" on (https?://\S+)", read[-1]).group(1)  # type: ignore[union-attr]
        return read

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Signal it and wait (killing it if it does not end in time); its exit status.

        What it printed while stopping is added to `lines`.
        """
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
        while not self._ended:
            line = self._lines.get(timeout=timeout)
            if line is None:
                self._ended = True
            else:
                self.lines.append(line)
        if self.process.stderr is not None:
            self.process.stderr.close()  # read to its end: close it now, not at collection
        return code
