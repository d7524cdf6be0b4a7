"""Drive headless Chromium over the DevTools protocol with only the standard library.

``--remote-debugging-pipe`` makes Chromium read CDP commands from fd 3 and write replies to fd 4,
NUL-separated JSON; no websocket, no port, nothing reachable from outside the test. A page load
records every console message, uncaught exception, log entry (CSP violations land there), network
request and JavaScript dialog, so a test can assert there were none.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-dev-shm-usage", "--remote-debugging-pipe")


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLoad:
    """What happened while a page loaded."""

    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


class Chromium:
    """One headless browser; use as a context manager."""

    def __init__(self, binary: str, profile_dir: Path, timeout: float = 60.0):
        self.timeout = timeout
        # Chromium's own log goes to a file (a pipe nobody reads could fill up and stall it).
        self.log_path = profile_dir / "chromium.log"
        self._log = open(self.log_path, "wb")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Keep the child's ends above 4, then a tiny exec shim moves them onto fds 3 and 4, where
        # --remote-debugging-pipe expects them (no shell: dash cannot redirect fds above 9).
        r, w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_r, from_child_w))
        os.close(to_child_r)
        os.close(from_child_w)
        to_child_r, from_child_w = r, w
        shim = "import os,sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); os.execv(sys.argv[3], sys.argv[3:])"
        cmd = [sys.executable, "-c", shim, str(to_child_r), str(from_child_w), binary, *FLAGS,
               f"--user-data-dir={profile_dir}", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._log)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    log = self.log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"chromium closed the DevTools pipe; its log ends:\n{log}")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        for ev in self.events:
            if ev.get("method") == method and ev.get("sessionId") == session:
                return ev
        while True:
            ev = self._read_message(deadline)
            self.events.append(ev)
            if ev.get("method") == "Page.javascriptDialogOpening":
                # An alert() blocks the page until answered; dismiss it (the test then fails on it).
                self._next_id += 1
                cmd = {"id": self._next_id, "method": "Page.handleJavaScriptDialog",
                       "params": {"accept": False}, "sessionId": ev.get("sessionId")}
                os.write(self._to_child, json.dumps(cmd).encode() + b"\0")
            if ev.get("method") == method and ev.get("sessionId") == session:
                return ev

    def load(self, url: str, *, screenshot: Path | None = None,
             evaluate: str | None = None) -> tuple[PageLoad, Any]:
        """Open ``url`` in a new tab, wait for load, optionally screenshot it and evaluate a script."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        value = None
        if evaluate:
            res = self.send("Runtime.evaluate", {"expression": evaluate, "returnByValue": True}, session=session)
            value = res.get("result", {}).get("value")
        if screenshot is not None:
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
            shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                             session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        page = PageLoad()
        for ev in self.events:
            if ev.get("sessionId") != session:
                continue
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled":
                page.console.append(p)
            elif m == "Runtime.exceptionThrown":
                page.exceptions.append(p)
            elif m == "Log.entryAdded":
                page.log.append(p.get("entry", {}))
            elif m == "Network.requestWillBeSent":
                page.requests.append(p.get("request", {}).get("url", ""))
            elif m == "Page.javascriptDialogOpening":
                page.dialogs.append(p.get("message", ""))
        self.send("Target.closeTarget", {"targetId": target})
        return page, value
