"""How a judge client's chat-completion bodies reach the endpoint: ``chat(body) -> response JSON``.

- :class:`HTTPTransport`: a small asyncio HTTP/1.1 client with a keep-alive connection pool, for
  plain ``http://`` endpoints that no proxy setting applies to (the embedded judge, ``vllm serve``
  and other self-hosted servers). At a concurrency of 16-64 against a server answering in 100 ms
  the ``openai`` SDK spends ~4 ms of CPU per call in its own layers (request transforms, pydantic
  models, httpx), which the event loop serialises: it cost more than the latency itself.
  This transport spends ~0.2 ms.
- :class:`SDKTransport`: ``openai.AsyncOpenAI`` (retries off), for everything else: TLS, proxies,
  Azure. Its raw response body is used, so both transports are parsed by the same code.

Failures are raised as :class:`harness.retry.ClassifiedError` (HTTP status, timeout, connection)
with the same verdicts :func:`harness.retry.classify` gives the SDK's exceptions: 401/403 auth;
408/409/429/5xx, timeouts and connection errors retried; other 4xx final. The API key travels
only in the Authorization header, never in a message.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections import deque
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from harness.retry import RETRYABLE_STATUS, ClassifiedError, Failure, MalformedResponse

TransportKind = Literal["auto", "http", "sdk"]
MAX_HEADER_BYTES = 64 * 1024
_timeout = getattr(asyncio, "timeout", None)


class Transport(Protocol):
    async def chat(self, body: dict[str, Any]) -> dict[str, Any]: ...

    async def close(self) -> None: ...


def uses_plain_http(base_url: str | None) -> bool:
    """Whether :class:`HTTPTransport` can serve ``base_url``: ``http://`` and no proxy configured for it."""
    if not base_url or urlsplit(base_url).scheme != "http":
        return False
    host = urlsplit(base_url).hostname or ""
    proxies = urllib.request.getproxies_environment()
    return not (proxies.get("http") or proxies.get("all")) or bool(urllib.request.proxy_bypass_environment(host))


def make_transport(base_url: str | None, api_key: str, timeout_s: float, kind: TransportKind = "auto") -> Transport:
    if kind == "http" or (kind == "auto" and uses_plain_http(base_url)):
        assert base_url is not None
        return HTTPTransport(base_url, api_key, timeout_s)
    return SDKTransport(base_url, api_key, timeout_s)


class SDKTransport:
    """``openai.AsyncOpenAI`` (its retries off: :mod:`harness.retry` is the only policy)."""

    def __init__(self, base_url: str | None, api_key: str, timeout_s: float) -> None:
        import openai

        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout_s)

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = await self._client.chat.completions.with_raw_response.create(**body)
        return json.loads(raw.http_response.content)

    async def close(self) -> None:
        await self._client.close()


def status_failure(code: int, body: bytes, retry_after: str | None) -> Failure:
    """The retry verdict of an HTTP error answer (as :func:`harness.retry.classify` for the SDK's)."""
    try:
        detail = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        detail = body.decode("utf-8", "replace")
    message = f"HTTP {code}: {' '.join(str(detail).split())[:300]}"
    if code in (401, 403):
        return Failure("auth", message)
    try:
        after = float(retry_after) if retry_after is not None else None
    except ValueError:
        after = None
    return Failure("retry" if code in RETRYABLE_STATUS or code >= 500 else "final", message, after)


class HTTPTransport:
    """HTTP/1.1 POSTs to ``<base_url>/chat/completions`` over a pool of keep-alive connections."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path.rstrip("/") + "/chat/completions"
        self.timeout_s = timeout_s
        self._head = (f"POST {self.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {api_key}\r\n"
                      "Content-Type: application/json\r\nAccept: application/json\r\nUser-Agent: simpo-harness\r\n"
                      "Connection: keep-alive\r\nContent-Length: ")
        self._idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = deque()

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = (self._head + f"{len(payload)}\r\n\r\n").encode("latin-1") + payload
        try:
            if _timeout is not None:  # Python >= 3.11: no extra task per call
                async with _timeout(self.timeout_s):
                    status, headers, data = await self._exchange(request)
            else:
                status, headers, data = await asyncio.wait_for(self._exchange(request), self.timeout_s)
        except asyncio.TimeoutError:
            raise ClassifiedError(Failure("retry", f"APITimeoutError: no answer within {self.timeout_s:g} s")) from None
        if not 200 <= status < 300:
            raise ClassifiedError(status_failure(status, data, headers.get("retry-after")))
        try:
            return json.loads(data)
        except ValueError as exc:
            raise MalformedResponse(f"body is not JSON ({exc})") from None

    async def _exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send on an idle connection (or a new one); a kept-alive connection the server closed in
        the meantime fails before any answer byte, and is replaced once, transparently."""
        while True:
            reused = bool(self._idle)
            conn = self._idle.popleft() if reused else await self._connect()
            try:
                conn[1].write(request)
                answer = await self._read_response(conn[0])
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                conn[1].close()
                if reused and isinstance(exc, (ConnectionError, asyncio.IncompleteReadError)) and \
                        not getattr(exc, "partial", b""):
                    continue
                raise ClassifiedError(Failure("retry", f"APIConnectionError: {type(exc).__name__}: {exc}")) from None
            except BaseException:  # cancelled (timeout): the connection's state is unknown
                conn[1].close()
                raise
            status, headers, data, keep = answer
            if keep:
                self._idle.append(conn)
            else:
                conn[1].close()
            return status, headers, data

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection(self.host, self.port, limit=MAX_HEADER_BYTES)
        except OSError as exc:
            raise ClassifiedError(Failure("retry", f"APIConnectionError: {exc}")) from None

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        status = int(rest[:3])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            data = await _read_chunked(reader)
        elif "content-length" in headers:
            data = await reader.readexactly(int(headers["content-length"]))
        else:  # the body ends with the connection
            data, keep = await reader.read(), False
        return status, headers, data, keep

    async def close(self) -> None:
        while self._idle:
            _, writer = self._idle.popleft()
            writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
