"""Broker bench: the platform's Redis transport (tasks/broker.py: take and record in one script; a
wake token with each publish) beside stock kombu's (BRPOP, then the record from the client), the
floor, on a redis-server of the bench's own (a free loopback port, nothing kept on disk)."""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kombu import Connection, Consumer, Exchange, Queue

from tests.benchmarks.health import _report
from tests.fakes.redis_server import RedisServer

PLATFORM_TRANSPORT = "tasks.broker:Transport"
STOCK_TRANSPORT = "redis"
QUEUE = Queue("bench", Exchange("bench"), "bench")
# About the size of a Celery task message with a few arguments.
BODY_PADDING = "x" * 800


@contextmanager
def redis_server() -> Iterator[str]:
    """The test suite's RedisServer, with nothing kept on disk beyond the bench's run."""
    folder = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    server = RedisServer(folder, "--appendonly", "no")
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def publish_rate(url: str, transport: str, count: int) -> float:
    """Messages per second one producer publishes (each publish waits for Redis's answer)."""
    with Connection(url, transport=transport) as connection, connection.Producer() as producer:
        producer.publish({}, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key, declare=[QUEUE])
        started = time.perf_counter()
        for n in range(count):
            body = {"n": n, "padding": BODY_PADDING}
            producer.publish(body, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key)
        rate = count / (time.perf_counter() - started)
        connection.default_channel.queue_purge(QUEUE.name)
    return rate


def drain_rate(url: str, transport: str, count: int) -> float:
    """Messages per second one consumer takes and acknowledges, `count` of them waiting."""
    with Connection(url, transport=transport) as connection, connection.Producer() as producer:
        for n in range(count):
            body = {"n": n, "padding": BODY_PADDING}
            producer.publish(body, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key, declare=[QUEUE])
    received = 0

    def on_message(body, message) -> None:
        nonlocal received
        message.ack()
        received += 1

    with (
        Connection(url, transport=transport) as connection,
        Consumer(connection, queues=[QUEUE], callbacks=[on_message], accept=["json"]),
    ):
        started = time.perf_counter()
        while received < count:
            connection.drain_events(timeout=10)
        return count / (time.perf_counter() - started)


def idle_pickup(url: str, transport: str, samples: int) -> list[float]:
    """Seconds from publish to delivery, for a consumer waiting on an empty queue (the producer on
    the same transport, as the platform's web and beat are)."""
    delays: list[float] = []

    def on_message(body, message) -> None:
        delays.append(time.time() - body["sent_at"])
        message.ack()

    def publisher() -> None:
        rng = random.Random(7)
        with Connection(url, transport=transport) as connection, connection.Producer() as producer:
            for _ in range(samples):
                time.sleep(0.2 + rng.random() * 0.2)  # the consumer is idle, somewhere in its wait
                producer.publish({"sent_at": time.time()}, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key)

    with (
        Connection(url, transport=transport) as connection,
        Consumer(connection, queues=[QUEUE], callbacks=[on_message], accept=["json"]),
    ):
        thread = threading.Thread(target=publisher)
        thread.start()
        while len(delays) < samples:
            with suppress(TimeoutError):
                connection.drain_events(timeout=1)
        thread.join()
    return delays


def bench_broker(count: int = 5000, samples: int = 50) -> None:
    report = _report()
    with redis_server() as url:
        floor_publish = publish_rate(url, STOCK_TRANSPORT, count)
        publish = publish_rate(url, PLATFORM_TRANSPORT, count)
        floor_drain = drain_rate(url, STOCK_TRANSPORT, count)
        drain = drain_rate(url, PLATFORM_TRANSPORT, count)
        floor_delays = idle_pickup(url, STOCK_TRANSPORT, samples)
        delays = idle_pickup(url, PLATFORM_TRANSPORT, samples)
    report(f"broker_publish_{count}", publish, "msg/s", floor=floor_publish)
    report(f"broker_drain_{count}", drain, "msg/s", floor=floor_drain)
    report(
        "broker_idle_pickup_median",
        statistics.median(delays) * 1000,
        "ms",
        floor=statistics.median(floor_delays) * 1000,
    )
    report(
        "broker_idle_pickup_max",
        max(delays) * 1000,
        "ms",
        floor=max(floor_delays) * 1000,
    )
