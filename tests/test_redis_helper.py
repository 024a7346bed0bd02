"""The Redis helper every chapter copies (tests/redis_preamble.py) fails fast.

A client from the helper must raise within about a second against a port nobody listens on
(connection refused) and against a listener that accepts connections but never answers (a
hung server, a full accept queue, a network that drops packets). A client built the usual
way, `redis.Redis(host=..., port=...)`, with redis-py's defaults, is the negative control:
it is still waiting when the helper's client has long given up.
"""
from __future__ import annotations

import contextlib
import pathlib
import socket
import threading
import time

import pytest
import redis

PREAMBLE = pathlib.Path(__file__).with_name("redis_preamble.py")
BUDGET_SECONDS = 1.5  # "about a second": 0.4 s read timeout, one retry, plus slack for a busy CI


def helper(monkeypatch, url: str | None) -> dict:
    """The preamble's names, executed as a notebook cell would with REDIS_URL set (or not)."""
    monkeypatch.delenv("REDIS_NODE_URLS", raising=False)
    if url:
        monkeypatch.setenv("REDIS_URL", url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    namespace: dict = {}
    exec(compile(PREAMBLE.read_text(), str(PREAMBLE), "exec"), namespace)  # noqa: S102 (our file)
    return namespace


@contextlib.contextmanager
def refused_port():
    """A loopback port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield port


@contextlib.contextmanager
def silent_listener():
    """A loopback port whose listener completes the TCP handshake and then never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)  # the kernel accepts into the backlog; nobody ever reads or writes
        yield s.getsockname()[1]


def seconds_to_fail(client: redis.Redis) -> tuple[float, type]:
    started = time.perf_counter()
    with pytest.raises((redis.ConnectionError, redis.TimeoutError)) as caught:
        client.ping()
    return time.perf_counter() - started, caught.type


@pytest.mark.parametrize("server", [refused_port, silent_listener], ids=["refused", "silent"])
def test_helper_client_fails_within_a_second(monkeypatch, server):
    with server() as port:
        names = helper(monkeypatch, f"redis://127.0.0.1:{port}")
        for i in (0, 3):
            elapsed, error = seconds_to_fail(names["redis_node"](i))
            assert elapsed < BUDGET_SECONDS, f"node {i}: {error.__name__} after {elapsed:.2f} s"


def test_helper_node_urls_fail_within_a_second(monkeypatch):
    with refused_port() as dead, silent_listener() as silent:
        names = helper(monkeypatch, None)
        monkeypatch.setenv("REDIS_NODE_URLS", f"redis://127.0.0.1:{dead} redis://127.0.0.1:{silent}")
        for i in (0, 1):
            elapsed, error = seconds_to_fail(names["redis_node"](i))
            assert elapsed < BUDGET_SECONDS, f"node {i}: {error.__name__} after {elapsed:.2f} s"


def test_embedded_server_gone_fails_at_once(monkeypatch):
    names = helper(monkeypatch, None)
    client = names["empty_node"](0)
    assert client.ping()
    names["_FAKE_SERVERS"][0].connected = False  # fakeredis' way of taking the server away
    elapsed, error = seconds_to_fail(client)
    assert error is redis.ConnectionError and elapsed < BUDGET_SECONDS


def test_redis_py_defaults_are_the_negative_control():
    """What the helper exists for: with defaults, a silent server stalls a command far longer."""
    with silent_listener() as port:
        client = redis.Redis(host="127.0.0.1", port=port)
        outcome: list = []
        worker = threading.Thread(target=lambda: outcome.append(
            seconds_to_fail(client)), daemon=True)
        worker.start()
        worker.join(BUDGET_SECONDS * 2)
        still_waiting = worker.is_alive()
    assert still_waiting, f"redis-py's defaults gave up quickly ({outcome}); is the helper still needed?"


@contextlib.contextmanager
def server_that_stalls_on(command: bytes):
    """A loopback server that answers +OK to every command (the client's handshake included)
    except `command`, which it receives, counts and never answers: a server that applied a
    write and then stalled, or whose reply was lost."""
    received = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve(conn):
        with conn:
            conn.settimeout(0.1)
            while not stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                for request in data.split(b"*")[1:]:  # one RESP array per command
                    if command in request.upper():
                        received.append(command)
                    elif b"HELLO" in request.upper():  # redis-py 8 opens with HELLO 3 (RESP3)
                        conn.sendall(b"%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n")
                    else:
                        conn.sendall(b"+OK\r\n")

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):  # OSError: the listener was closed at the end
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], received
    finally:
        stop.set()
        listener.close()


def test_a_timed_out_write_is_not_sent_again(monkeypatch):
    """After a read timeout the server may already have applied the command; retrying would
    apply an INCR twice. The helper retries only when the connection fails."""
    with server_that_stalls_on(b"INCR") as (port, received):
        names = helper(monkeypatch, f"redis://127.0.0.1:{port}")
        with pytest.raises(redis.TimeoutError):
            names["redis_node"](0).incr("visits")
        time.sleep(0.2)
        assert received == [b"INCR"], f"the INCR reached the server {len(received)} times"


def test_retry_on_timeout_would_send_it_twice():
    """The negative control: a client that also retries after a read timeout sends it twice."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with server_that_stalls_on(b"INCR") as (port, received):
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.2,
                             socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 1))
        with pytest.raises(redis.TimeoutError):
            client.incr("visits")
        time.sleep(0.2)
        assert received == [b"INCR", b"INCR"]
