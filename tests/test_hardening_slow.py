"""[hardening-2] 1: slow clients. A real `zhewen serve` under a low file-descriptor limit, 600
clients that send part of a request and then go silent: /healthz and real questions still work,
and SIGTERM stops the server within a few seconds."""
from __future__ import annotations

import resource
import signal
import socket
import time
from pathlib import Path

import httpx
from fakes import wecom as fake
from test_server import QUESTION, Stderr, free_port, run_serve

wecom = fake.FakeWeCom()
SLOW_CLIENTS = 600
FD_LIMIT = 256


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def _raise_own_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def _healthy(port: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def test_slow_clients_cannot_hold_the_server(tmp_path: Path) -> None:
    _raise_own_fd_limit(SLOW_CLIENTS + 200)
    port = free_port()
    process = run_serve(tmp_path, fake.env(), "--port", str(port), preexec_fn=_low_fd_limit)
    slow: list[socket.socket] = []
    try:
        Stderr(process).wait_for("Uvicorn running on")
        started = time.monotonic()
        for i in range(SLOW_CLIENTS):  # part of the headers, or all headers and part of the body
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                head = (b"POST /wecom/callback HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n<xml>"
                        if i % 2 else b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                sock.sendall(head)
                slow.append(sock)
            except OSError:
                pass  # the server's backlog is full: that client is refused, as it should be
        # While the slow clients hold on (they never send more), the server still answers.
        assert _healthy(port, within=15), "healthz never answered while slow clients held on"
        query, body = wecom.callback(fake.text_xml(QUESTION, user="zhangsan"))
        answer = httpx.post(f"http://127.0.0.1:{port}/wecom/callback", params=query, content=body, timeout=10)
        assert answer.status_code == 200 and wecom.read_reply(answer.text, query["nonce"]).content
        assert time.monotonic() - started < 30
    finally:
        for sock in slow:
            sock.close()
        process.send_signal(signal.SIGTERM)
        began = time.monotonic()
        process.wait(timeout=30)
        stopped_in = time.monotonic() - began
    assert process.returncode == 0 and stopped_in < 8
