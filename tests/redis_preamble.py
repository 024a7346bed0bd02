import os
from urllib.parse import urlsplit

import fakeredis
import redis

_FAKE_SERVERS: dict[int, fakeredis.FakeServer] = {}


def redis_node(i: int = 0, *, decode: bool = True) -> redis.Redis:
    """A client for Redis node i: real servers if REDIS_URL is set (see the README), else in-process fakes."""
    if urls := os.environ.get("REDIS_NODE_URLS", "").split():
        return redis.Redis.from_url(urls[i], decode_responses=decode)
    if url := os.environ.get("REDIS_URL"):  # one real server: node i is its logical database i
        return redis.Redis.from_url(urlsplit(url)._replace(path=f"/{i}").geturl(), decode_responses=decode)
    return fakeredis.FakeRedis(server=_FAKE_SERVERS.setdefault(i, fakeredis.FakeServer()), decode_responses=decode)


def empty_node(i: int = 0, *, decode: bool = True) -> redis.Redis:
    """Node i, emptied for this chapter; refuses to wipe a database the book did not fill."""
    r = redis_node(i, decode=decode)
    if r.dbsize() and not r.exists("book:scratch"):
        raise RuntimeError(f"Redis node {i} holds data this book did not write; point REDIS_URL at a scratch server")
    r.flushdb()
    r.set("book:scratch", "this database is the book's scratch space")
    return r
