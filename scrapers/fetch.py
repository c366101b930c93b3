"""Get source texts, from a local directory or over HTTP (gitiles `?format=TEXT`, GitHub raw).

`requests` is imported here only, and this module only by `opcompat tables update`.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from opcompat.errors import ScrapeError
from scrapers.sources import Source, git_blob_id

DEFAULT_TIMEOUT = 20.0
DEFAULT_RETRIES = 3
USER_AGENT = "opcompat-tables-update"


class FetchFailure(ScrapeError):
    """One URL could not be fetched: which host, why, and the URL."""

    def __init__(self, host: str, reason: str, url: str) -> None:
        self.host, self.reason, self.url = host, reason, url
        super().__init__(f"cannot fetch from {host}: {reason}: {url}")


class SourceFetchError(ScrapeError):
    """Every URL of one source failed."""

    def __init__(self, key: str, failures: list[ScrapeError]) -> None:
        self.key, self.failures = key, failures
        super().__init__(f"{key}: " + "; ".join(str(f) for f in failures))


@dataclass(frozen=True)
class Fetched:
    source: Source
    text: str
    origin: str
    """The URL or local path the text was read from."""


def _check(source: Source, data: bytes, where: str) -> str:
    if source.git_blob is not None and git_blob_id(data) != source.git_blob:
        raise ScrapeError(
            f"{source.key}: {where} is not the pinned {source.path} at {source.commit[:12]} "
            f"(git blob {git_blob_id(data)[:12]}, expected {source.git_blob[:12]}): "
            "truncated or changed"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScrapeError(f"{source.key}: {where} is not UTF-8 text ({exc.reason})") from None


def read_local(source: Source, source_dir: Path) -> Fetched:
    path = source_dir / source.local
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScrapeError(
            f"{source.key}: {path} not found (see `opcompat tables update --help` for the layout)"
        ) from None
    except OSError as exc:
        raise ScrapeError(f"{source.key}: cannot read {path}: {exc.strerror or exc}") from None
    return Fetched(source, _check(source, data, str(path)), str(path))


class HttpClient:
    """A requests session with a timeout and retries on every request."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        mirror: str | None = None,
    ) -> None:
        import requests

        self._requests = requests
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout = timeout
        self.retries = max(1, retries)
        self.mirror = mirror
        # Hosts that could not be reached at all in this run: the next sources on the same
        # host fail at once instead of costing retries x timeout each again.
        self._unreachable: dict[str, str] = {}

    def get_bytes(self, url: str) -> bytes:
        """The body of `url`; ScrapeError naming the host after the last failed try."""
        requests = self._requests
        host = urlsplit(url).netloc or url
        if host in self._unreachable:
            raise FetchFailure(host, f"{self._unreachable[host]}, not tried again", url)
        last = "no attempt"
        reached = False
        refused = ""  # why no connection could be made (a slow answer does not count)
        for attempt in range(self.retries):
            if attempt:
                time.sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
            try:
                resp = self.session.get(url, timeout=self.timeout)
                reached = True
                if resp.status_code == 404:
                    # Not worth retrying: the file is not there.
                    raise FetchFailure(host, "404 Not Found", url)
                if resp.status_code >= 400:
                    last = f"HTTP {resp.status_code}"
                    continue
                body = resp.content
                expected = resp.headers.get("Content-Length")
                if (
                    expected is not None
                    and expected.isdigit()
                    and int(expected) != len(body)
                    and "Content-Encoding" not in resp.headers
                ):
                    last = f"truncated body ({len(body)} of {expected} bytes)"
                    continue
                return body
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ):
                last = "truncated body"
            except requests.exceptions.Timeout as exc:
                last = f"timed out after {self.timeout:g}s"
                if isinstance(exc, requests.exceptions.ConnectTimeout):
                    refused = last
            except requests.exceptions.ConnectionError as exc:
                text = str(exc)
                last = (
                    "truncated body"
                    if "IncompleteRead" in text or "Connection broken" in text
                    else "connection failed"
                )
                if last == "connection failed":
                    refused = last
            except requests.exceptions.RequestException as exc:
                last = type(exc).__name__
        if not reached and refused:
            self._unreachable[host] = refused
        raise FetchFailure(host, f"{last} ({self.retries} tries)", url)

    def fetch(self, source: Source) -> Fetched:
        """`source`'s text from its first URL that works."""
        errors: list[ScrapeError] = []
        for url in source.urls(self.mirror):
            try:
                data = self.get_bytes(url)
                if url.endswith("?format=TEXT"):
                    try:
                        data = base64.b64decode(b"".join(data.split()), validate=True)
                    except (binascii.Error, ValueError):
                        raise FetchFailure(
                            urlsplit(url).netloc, "body is not base64", url
                        ) from None
                return Fetched(source, _check(source, data, url), url)
            except ScrapeError as exc:
                errors.append(exc)
        raise SourceFetchError(source.key, errors)
