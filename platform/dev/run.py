"""`make run`: the Procfile's processes (web, worker, beat) under honcho, stopped the way Ctrl-C
stops each of them in a terminal, and the sandbox's first syncs queued once web answers.

Why not plain `honcho start`:
- honcho stops its processes with SIGTERM to each process group and SIGKILLs whatever still runs
  5 s later (a constant). SIGTERM reaches the worker's pool processes too, which die at once
  (ending their tasks half-way, with a line each), and the worker's warm shutdown over the
  filesystem broker takes 5 to 7 s: it was killed on every stop. Here each group gets SIGINT,
  what a terminal sends on Ctrl-C: the pool ignores it and the worker finishes its running tasks
  and stops them itself. A second Ctrl-C asks again (the worker's cold shutdown: its running
  tasks are stopped and queued again); what still runs STOP_GRACE_SECONDS after the first is
  killed, and said so. Web stops last: its sandbox is what the worker's running syncs call.
- The sandbox provider is served by web: syncs queued before web listens fail at once. They are
  queued (`manage.py register_sandbox_account`) only after /health/ready answers 200.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from honcho.environ import expand_processes, parse, parse_procfile
from honcho.manager import Manager
from honcho.printer import Message, Printer

ROOT = Path(__file__).resolve().parents[2]
STOP_GRACE_SECONDS = 30
# Asked to stop once every other process has stopped: web serves the sandbox provider and GitHub
# that a sync the worker is finishing still calls.
STOP_LAST = ("web",)
READY_POLL_SECONDS = 0.5
SETUP_NAME = "sandbox"
SETUP_TIMEOUT_SECONDS = 120


class DevelopmentManager(Manager):
    """honcho's Manager with the stop described in the module's docstring and a step that runs
    once web is ready. (honcho's own loop() is replaced whole: its stop is not configurable.)"""

    def __init__(self, printer: Printer) -> None:
        super().__init__(printer)
        self._interrupts = 0
        self._stop_started: float | None = None
        self._last_asked = False
        self._killed = False

    def loop(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self._start()
        interrupts_handled = 0
        while True:
            try:
                message = self.events.get(timeout=0.1)
            except queue.Empty:
                if self._all_started() and self._all_stopped():
                    break
                message = None
            if message is not None:
                self._handle(message)
            if self._interrupts > interrupts_handled:
                interrupts_handled = self._interrupts
                self._ask_to_stop(again=interrupts_handled > 1)
            elif self._stop_started is None and self._all_started() and self._any_stopped():
                self._ask_to_stop(again=False)  # one process ended by itself: stop the others
            if self._stop_started is not None and not self._last_asked and self._only_last_run():
                self._last_asked = True
                self._signal_running(signal.SIGINT)
            if (
                not self._killed
                and self._stop_started is not None
                and time.monotonic() - self._stop_started > STOP_GRACE_SECONDS
            ):
                self._killed = True
                self._system_print(f"still running {STOP_GRACE_SECONDS}s after the stop was asked for:\n")
                self._signal_running(signal.SIGKILL)

    def _on_signal(self, signum, frame) -> None:
        self._interrupts += 1  # acted on by the loop, outside the handler

    def _handle(self, message: Message) -> None:
        if message.type == "line":
            self._printer.write(message)
        elif message.type == "start":
            self._processes[message.name]["pid"] = message.data["pid"]
            self._system_print(f"{message.name} started (pid={message.data['pid']})\n")
            # Asked to stop before this one had started.
            if self._stop_started is not None and (self._last_asked or not self._is_last(message.name)):
                self._signal(message.name, signal.SIGINT)
        elif message.type == "stop":
            self._processes[message.name]["returncode"] = message.data["returncode"]
            self._system_print(f"{message.name} stopped (rc={message.data['returncode']})\n")
            # A process that ends by itself (not asked to stop) fails the run.
            if self.returncode is None and self._stop_started is None:
                self.returncode = message.data["returncode"] or 1

    def _ask_to_stop(self, *, again: bool) -> None:
        if self._stop_started is None:
            self._stop_started = time.monotonic()
        if again:
            self._system_print("asked to stop again:\n")
            self._last_asked = True
        self._signal_running(signal.SIGINT, last_too=self._last_asked)

    @staticmethod
    def _is_last(name: str) -> bool:
        return name.partition(".")[0] in STOP_LAST

    def _running(self) -> list[str]:
        return [name for name, process in self._processes.items() if "returncode" not in process]

    def _only_last_run(self) -> bool:
        return all(self._is_last(name) for name in self._running())

    def _signal_running(self, sig: signal.Signals, *, last_too: bool = True) -> None:
        for name in self._running():
            if self._processes[name].get("pid") is not None and (last_too or not self._is_last(name)):
                self._signal(name, sig)

    def _signal(self, name: str, sig: signal.Signals) -> None:
        pid = self._processes[name]["pid"]
        self._system_print(f"sending {sig.name} to {name} (pid {pid})\n")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    def say(self, name: str, text: str) -> None:
        """Print a line under `name` from another thread (through the loop's queue)."""
        self.events.put(Message(type="line", data=text, time=datetime.datetime.now(), name=name, colour=None))

    def reserve_name_width(self, name: str) -> None:
        self._printer.width = max(self._printer.width, len(name))

    @property
    def stopping(self) -> bool:
        return self._stop_started is not None

    @property
    def exit_status(self) -> int:
        """0 for a stop asked for (Ctrl-C) that every process obeyed in time; else 1 or the
        status of the process that ended by itself."""
        if self.returncode is not None:
            return self.returncode
        return 1 if self._killed else 0


def ready_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env.get('WEB_PORT') or 8000}/health/ready"


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def queue_first_syncs(manager: DevelopmentManager, env: dict[str, str]) -> None:
    """Once web answers, register the sandbox accounts and queue their first syncs."""
    url = ready_url(env)
    while not answers_200(url):
        if manager.stopping:
            return
        time.sleep(READY_POLL_SECONDS)
    if manager.stopping:
        return
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "register_sandbox_account"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SETUP_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        manager.say(SETUP_NAME, f"register_sandbox_account did not finish within {SETUP_TIMEOUT_SECONDS}s\n")
        return
    for line in result.stdout.splitlines():
        manager.say(SETUP_NAME, line + "\n")
    if result.returncode:
        manager.say(SETUP_NAME, f"register_sandbox_account failed (exit {result.returncode})\n")


def main() -> int:
    env = os.environ.copy()
    env_file = ROOT / ".env"
    if env_file.is_file():  # as `honcho start` does: the Procfile's ${...} may name them
        env.update(parse(env_file.read_text()))
    env.setdefault("PYTHONUNBUFFERED", "1")
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    manager = DevelopmentManager(Printer(sys.stdout))
    for process in expand_processes(processes):
        manager.add_process(process.name, process.cmd, quiet=process.quiet, env={**env, **process.env}, cwd=ROOT)
    manager.reserve_name_width(SETUP_NAME)
    threading.Thread(target=queue_first_syncs, args=(manager, env), name="first-syncs", daemon=True).start()
    manager.loop()
    return manager.exit_status


if __name__ == "__main__":
    sys.exit(main())
