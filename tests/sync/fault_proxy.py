"""A misbehaving network between a site and its board, on 127.0.0.1 (asyncio).

Each connection carries one HTTP request (the site's client closes after
each). Per request, chosen at random with the given weights (after each
fault once), the proxy:

- pass: forwards it and relays the board's answer;
- reset: drops the connection before the board sees anything;
- cut: forwards it, lets the board commit, then drops the connection
  instead of relaying the answer (the site cannot know it was stored);
- delay: waits, then forwards;
- portal: answers 200 with an HTML page itself, as a captive portal does.

Given several board ports, it sends each request to the next in turn, as a
load balancer in front of several board processes would.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading

PORTAL_PAGE = b"<html><body><h1>Welcome to Guest Wi-Fi</h1>Please log in.</body></html>"


class FaultProxy:
    def __init__(
        self, target_port: int | list[int], weights: dict[str, float], seed: int = 1
    ):
        ports = target_port if isinstance(target_port, list) else [target_port]
        self._ports = itertools.cycle(ports)
        self.forwarded_to: dict[int, int] = dict.fromkeys(ports, 0)
        self.weights = dict(weights)
        self.random = random.Random(seed)
        self.counts: dict[str, int] = {}
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def set_weights(self, **weights: float) -> None:
        self.weights = weights

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _handle(self, reader, writer) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            fault = self._choose()
            self.counts[fault] = self.counts.get(fault, 0) + 1
            if fault == "reset":
                writer.transport.abort()
                return
            if fault == "portal":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                    % len(PORTAL_PAGE)
                    + PORTAL_PAGE
                )
                await writer.drain()
                return
            if fault == "delay":
                await asyncio.sleep(0.3)
            answer = await self._forward(request)
            if fault == "cut":
                writer.transport.abort()
                return
            writer.write(answer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _choose(self) -> str:
        """Each fault with a weight once first, in the order given (so a run
        short of requests, on a busy machine, still meets every one), then
        at random by weight."""
        faults = list(self.weights)
        for fault in faults:
            if self.weights[fault] > 0 and fault not in self.counts:
                return fault
        return self.random.choices(faults, [self.weights[f] for f in faults])[0]

    async def _forward(self, request: bytes) -> bytes:
        port = next(self._ports)
        self.forwarded_to[port] += 1
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request)
            await writer.drain()
            return await reader.read()  # the board closes: Connection: close
        finally:
            writer.close()


async def _read_request(reader) -> bytes | None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body
