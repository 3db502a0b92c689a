"""Hot reload: serve the spec's latest good version while it is being edited.

The spec, its includes and the files it names are watched (through their folders, so
editors that save by replacing a file are seen too). A change loads the spec again; a
spec with problems is reported and the previous one keeps serving.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from watchfiles import watch

from .errors import SpecError
from .loading import load_spec
from .report import plural
from .spec import Spec

# Its "1 change detected" says less than the reload's own line.
logging.getLogger("watchfiles").setLevel(logging.WARNING)


class Reloader:
    """Watch a spec's files from a thread; hand each good reload to `on_reload`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        spec: Spec,
        *,
        seed: int | None,
        access: Any = None,
        on_reload: Callable[[Flask, Spec], None],
        report: Callable[[str], None],
        debounce_ms: int = 200,
    ):
        self.path = path
        self.seed = seed
        self.access = access
        self.files = set(spec.files)
        self.stamps = stamps(self.files)
        self.on_reload = on_reload
        self.report = report
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Reloader:
        self._thread = threading.Thread(target=self._run, name="mockserve-reload", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            folders = sorted({str(Path(file).parent) for file in self.files})
            files = frozenset(self.files)

            def ours(_change: object, path: str, files: frozenset[str] = files) -> bool:
                return path in files

            # Every second without events, compare modification times too: that catches
            # a change made before the watcher was ready, and file systems without events.
            for changes in watch(
                *folders,
                stop_event=self._stop,
                debounce=self.debounce_ms,
                watch_filter=ours,
                rust_timeout=1000,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                if not changes and stamps(files) == self.stamps:
                    continue
                if self.reload():
                    break  # the spec may name other files now: watch those

    def reload(self) -> bool:
        """Load the spec again; True when it loaded and now serves."""
        from .app import create_app

        self.stamps = stamps(self.files)
        try:
            spec = load_spec(self.path, seed=self.seed, lazy=True)
        except SpecError as exc:
            lines = [str(problem) for problem in exc.problems]
            count = len(lines)
            lines.append(
                f"{self.path}: {plural(count, 'problem')}; still serving the previous version"
            )
            self.report("\n".join(lines))
            return False
        self.files = set(spec.files)
        self.stamps = stamps(self.files)
        self.on_reload(create_app(spec, access=self.access), spec)
        return True


def stamps(files: set[str] | frozenset[str]) -> dict[str, int | None]:
    """Each file's modification time (None when it is gone)."""
    found: dict[str, int | None] = {}
    for file in files:
        try:
            found[file] = os.stat(file).st_mtime_ns
        except OSError:
            found[file] = None
    return found
