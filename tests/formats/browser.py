"""Headless Chromium for the browser tests; they skip with a clear message when it is absent."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "headless Chromium not found (install the 'chromium' package to run the HTML browser test)"
    )


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


class _DevTools:
    """The DevTools protocol over `--remote-debugging-pipe` (commands on fd 3, replies on fd 4).

    A test that waits for a page's asynchronous work asks for the promise's value instead of
    guessing a virtual-time budget for `--dump-dom`, which a slow machine can outrun.
    """

    def __init__(self, tmp_path: Path, deadline: float) -> None:
        profile = tmp_path / "profile"
        profile.mkdir(exist_ok=True)
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        # Move the child's ends above 4, so that the redirections below cannot overwrite them.
        to_child, from_child = (_above_four(fd) for fd in (to_child, from_child))
        # bash (not sh: dash reads one-digit descriptors only) puts the pipe ends where Chromium
        # looks for them, fds 3 and 4.
        script = f'exec "$0" "$@" 3<&{to_child} 4>&{from_child} {to_child}<&- {from_child}>&-'
        cmd = ["bash", "-c", script, chromium(), *FLAGS, f"--user-data-dir={profile}"]
        cmd.append("--remote-debugging-pipe")
        env = {**os.environ, "HOME": str(tmp_path)}
        with (tmp_path / "chromium.log").open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, pass_fds=(to_child, from_child), env=env, stdout=log, stderr=log
            )
        os.close(to_child)
        os.close(from_child)
        self._log_path = tmp_path / "chromium.log"
        self.deadline = deadline
        self._buffer = b""
        self._next_id = 0

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            ready, _, _ = select.select([self._in], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"Chromium did not answer in time: {self.log()}")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the DevTools pipe: {self.log()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")[-1500:]

    def send(self, method: str, session: str | None = None, **params: Any) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        return self._next_id

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        wanted = self.send(method, session, **params)
        while True:
            message = self._message()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._out)
            os.close(self._in)


def _above_four(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 5)
    os.close(fd)
    return moved


def evaluate(tmp_path: Path, url: str, expression: str, timeout: float = 120) -> Any:
    """Load `url`, then return the value of `expression` (awaited when it is a promise)."""
    tools = _DevTools(tmp_path, time.monotonic() + timeout)
    try:
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tools.call("Page.navigate", session, url=url)
        _wait_until_loaded(tools, session, url.split("#", 1)[0])
        reply = tools.call(
            "Runtime.evaluate",
            session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
    finally:
        tools.close()
    if "exceptionDetails" in reply:
        raise AssertionError(f"the page's script failed: {reply['exceptionDetails']}")
    return reply["result"].get("value")


def _wait_until_loaded(tools: _DevTools, session: str, page: str) -> None:
    """Poll until the document is `page` and has loaded: a load event may still be the blank
    page's, and while the navigation commits an evaluation can fail (its context is gone)."""
    ready = (f"location.href.split('#')[0] === {json.dumps(page)} "
             "&& document.readyState === 'complete'")
    while True:
        try:
            reply = tools.call("Runtime.evaluate", session, expression=ready, returnByValue=True)
            if reply.get("result", {}).get("value") is True:
                return
        except RuntimeError as exc:
            if "closed the DevTools pipe" in str(exc):
                raise
        time.sleep(0.05)
        if time.monotonic() > tools.deadline:
            raise TimeoutError(f"{page} did not load in time: {tools.log()}")
