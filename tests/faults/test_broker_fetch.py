"""The broker transport's promise (tasks/broker.py): a message Redis has handed to a consumer is in
`unacked` from that instant, so a consumer killed before it even read the reply loses nothing.

Stock kombu is run through the same death to show the gap the transport closes: its BRPOP took the
message out of the queue, and its client-side write to `unacked` never happened. Should a kombu
release close that gap, the stock case fails here, and tasks/broker.py can be retired.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import redis
from kombu import Connection, Exchange, Queue

from tasks.broker import WAKE_KEY_PREFIX, WAKE_TOKENS_KEPT, WAKE_TOKENS_TTL_SECONDS, Channel
from tests.conftest import subprocess_env
from tests.fakes.redis_server import RedisServer

pytestmark = [pytest.mark.faults, pytest.mark.services]

PLATFORM_TRANSPORT = "tasks.broker:Transport"
STOCK_TRANSPORT = "redis"
QUEUE = Queue("fetch-test", Exchange("fetch-test"), "fetch-test")


def publish(url: str, body: dict) -> None:
    with Connection(url, transport=PLATFORM_TRANSPORT) as connection, connection.Producer() as producer:
        producer.publish(body, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key, declare=[QUEUE], retry=False)


def consumer_dies_holding_the_reply(url: str, transport: str) -> None:
    died = subprocess.run(
        [sys.executable, "-m", "tests.faults.fetch_then_die", url, transport, QUEUE.name],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert died.returncode == -9, died.stdout + died.stderr


def held(url: str) -> tuple[int, int]:
    """(messages waiting in the queue, messages recorded as unacknowledged)."""
    client = redis.Redis.from_url(url)
    return client.llen(QUEUE.name), client.hlen(Channel.unacked_key)


def test_a_consumer_killed_before_reading_its_message_leaves_it_to_be_restored(redis_server):
    publish(redis_server.url, {"job": "keep me"})
    consumer_dies_holding_the_reply(redis_server.url, PLATFORM_TRANSPORT)
    assert held(redis_server.url) == (0, 1)

    # Another worker's restore sweep, once the visibility timeout has passed (0 here), puts it back.
    options = {"visibility_timeout": 0}
    with Connection(redis_server.url, transport=PLATFORM_TRANSPORT, transport_options=options) as connection:
        connection.default_channel.qos.restore_visible()
        assert held(redis_server.url) == (1, 0)
        message = connection.SimpleQueue(QUEUE).get(timeout=5)
        assert message.payload == {"job": "keep me"}
        assert message.delivery_info["redelivered"] is True
        message.ack()
    assert held(redis_server.url) == (0, 0)


def test_stock_kombu_loses_the_message_of_a_consumer_killed_at_that_moment(redis_server):
    publish(redis_server.url, {"job": "lost"})
    consumer_dies_holding_the_reply(redis_server.url, STOCK_TRANSPORT)
    assert held(redis_server.url) == (0, 0)


def test_a_message_taken_and_acknowledged_leaves_nothing_behind(redis_server):
    for n in range(3):
        publish(redis_server.url, {"n": n})
    with Connection(redis_server.url, transport=PLATFORM_TRANSPORT) as connection:
        queue = connection.SimpleQueue(QUEUE)
        first = queue.get(timeout=5)
        # Taken, not yet acknowledged: recorded once, by the fetch.
        assert held(redis_server.url) == (2, 1)
        first.ack()
        rest = [queue.get(timeout=5) for _ in range(2)]
        assert sorted(m.payload["n"] for m in [first, *rest]) == [0, 1, 2]
        for message in rest:
            message.ack()
        assert not connection.default_channel.recorded_at_fetch
    assert held(redis_server.url) == (0, 0)


def fill_until_refused(url: str) -> int:
    """Publish until Redis answers out of memory; returns how many it accepted."""
    publish(url, {"n": 0})
    with Connection(url, transport=PLATFORM_TRANSPORT) as connection, connection.Producer() as producer:
        for n in range(1, 10_000):
            body = {"n": n, "padding": "x" * 20_000}
            try:
                producer.publish(body, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key, retry=False)
            except redis.exceptions.OutOfMemoryError:
                return n
    raise AssertionError("Redis accepted 10,000 messages past its maxmemory")


def test_a_broker_full_to_maxmemory_still_hands_out_tasks_and_records_them(tmp_path):
    """The fetch script may write on a full Redis (allow-oom); stock kombu's record would be refused."""
    server = RedisServer(tmp_path / "redis", "--maxmemory", "4mb")
    server.start()
    try:
        published = fill_until_refused(server.url)
        assert published > 1

        with Connection(server.url, transport=PLATFORM_TRANSPORT) as connection:
            message = connection.SimpleQueue(QUEUE).get(timeout=5)
            assert message.payload["n"] == 0
            assert held(server.url) == (published - 1, 1)
            # kombu acknowledges in a MULTI, which a full Redis refuses: the ack waits for memory.
            redis.Redis.from_url(server.url).delete(QUEUE.name)
            message.ack()
        assert held(server.url) == (0, 0)
    finally:
        server.stop()


def wake_tokens(url: str) -> int:
    return redis.Redis.from_url(url).llen(f"{WAKE_KEY_PREFIX}{Channel.sep}{QUEUE.name}")


def test_each_publish_leaves_a_wake_token_and_an_empty_look_clears_them(redis_server):
    for n in range(WAKE_TOKENS_KEPT + 50):
        publish(redis_server.url, {"n": n})
    assert wake_tokens(redis_server.url) == WAKE_TOKENS_KEPT  # capped
    # ... and they expire, so the wake lists of queues nobody consumes (reply queues) go away.
    ttl = redis.Redis.from_url(redis_server.url).ttl(f"{WAKE_KEY_PREFIX}{Channel.sep}{QUEUE.name}")
    assert 0 < ttl <= WAKE_TOKENS_TTL_SECONDS
    with Connection(redis_server.url, transport=PLATFORM_TRANSPORT) as connection:
        queue = connection.SimpleQueue(QUEUE)
        for _ in range(WAKE_TOKENS_KEPT + 50):
            queue.get(timeout=5).ack()
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.5)  # looks, finds nothing
    assert wake_tokens(redis_server.url) == 0
    assert held(redis_server.url) == (0, 0)


def test_a_message_without_a_wake_token_is_still_taken(redis_server):
    # A stock kombu producer pushes no token: the waiting consumer sees it when its wait ends.
    with Connection(redis_server.url, transport=STOCK_TRANSPORT) as connection:
        queue = connection.SimpleQueue(QUEUE)
        with Connection(redis_server.url, transport=PLATFORM_TRANSPORT) as consumer_connection:
            consumer = consumer_connection.SimpleQueue(QUEUE)
            with pytest.raises(consumer.Empty):
                consumer.get(timeout=0.3)  # now waiting on the wake list
            queue.put({"from": "stock"})
            assert wake_tokens(redis_server.url) == 0
            message = consumer.get(timeout=5)
            assert message.payload == {"from": "stock"}
            message.ack()
    assert held(redis_server.url) == (0, 0)


def test_basic_get_takes_and_records_in_one_step_too(redis_server):
    publish(redis_server.url, {"job": "polled"})
    with Connection(redis_server.url, transport=PLATFORM_TRANSPORT) as connection:
        message = connection.SimpleQueue(QUEUE).get_nowait()
        assert message.payload == {"job": "polled"}
        assert held(redis_server.url) == (0, 1)
        message.ack()
    assert held(redis_server.url) == (0, 0)
