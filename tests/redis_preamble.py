import os
from urllib.parse import urlsplit

import fakeredis
import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

_FAKE_SERVERS: dict[int, fakeredis.FakeServer] = {}


def client_settings() -> dict:
    """Fail fast: a dead or silent server raises within about a second, never stalls.

    redis-py's defaults retry ten times with backoff and wait 5 s per read: one command takes
    about 4 s on a refused port and about a minute on a server that never answers. Every
    client here waits at most 0.4 s to connect or read, and retries once after 20 ms only when
    the connection fails; never after a read timed out, when the server may already have
    applied the command (a retried INCR would count twice).
    """
    once = Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=1,
                 supported_errors=(redis.ConnectionError,))
    return {"socket_connect_timeout": 0.4, "socket_timeout": 0.4, "retry": once}


def redis_node(i: int = 0, *, decode: bool = True) -> redis.Redis:
    """A client for node i: real servers if REDIS_URL is set (see the README), else fakeredis."""
    if urls := os.environ.get("REDIS_NODE_URLS", "").split():
        return redis.Redis.from_url(urls[i], decode_responses=decode, **client_settings())
    if url := os.environ.get("REDIS_URL"):  # one real server: node i is its logical database i
        url = urlsplit(url)._replace(path=f"/{i}").geturl()
        return redis.Redis.from_url(url, decode_responses=decode, **client_settings())
    server = _FAKE_SERVERS.setdefault(i, fakeredis.FakeServer())
    return fakeredis.FakeRedis(server=server, decode_responses=decode, **client_settings())


def empty_node(i: int = 0, *, decode: bool = True) -> redis.Redis:
    """Node i, emptied for this chapter; refuses to wipe a database the book did not fill."""
    r = redis_node(i, decode=decode)
    if r.dbsize() and not r.exists("book:scratch"):
        raise RuntimeError(f"Redis node {i} holds data the book did not write; "
                           "point REDIS_URL at a scratch server")
    r.flushdb()
    r.set("book:scratch", "this database is the book's scratch space")
    return r
