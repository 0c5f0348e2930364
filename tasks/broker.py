"""kombu's Redis transport, with a consumer that takes a message and records it as unacknowledged
in one atomic step.

Stock kombu pops a message with BRPOP and only then, from the client, writes it to the
`unacked` hash that Redis restores from after the visibility timeout. A worker killed between the
two (SIGKILL, OOM killer, lost host) loses the message: it is in neither the queue nor the hash.
The window is not only microseconds: kombu keeps a BRPOP reply that arrived while the worker had
no free slot unread in the socket until a slot frees (see `_pause_brpop` in kombu), so a whole
task's duration. tests/faults/test_worker_kill.py lost tasks this way.

Here the consumer runs FETCH_SCRIPT instead, which pops and records in the same server-side step,
so a message is always either in its queue or in `unacked` until it is acknowledged. A Lua script
cannot block, so a consumer that found its queues empty blocks on their wake lists instead: every
publish through this transport also pushes a token there (at most WAKE_TOKENS_KEPT, for a minute),
and the script clears them when it finds the queues empty. A token is only a nudge to look again; losing
one costs nothing but time, since the wait ends after `brpop_timeout` (1 s) anyway, which is also
how messages that come without a token (restored ones, or published by a stock kombu) are seen.

Publishing, acknowledging and restoring are kombu's own, so the stored format is kombu's and stock
producers still work. Needs Redis 7 (the script declares its flags): the consumer refuses an older
server. Check this module against kombu's redis.py `_brpop_start`/`_brpop_read`/`_put` on every
kombu upgrade.
"""

from __future__ import annotations

from time import monotonic, time

from kombu.transport import redis, virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

# The kombu release whose private Redis channel methods this module was read against; a test
# (tests/core/test_kombu_internals_pinned.py) fails when the installed kombu is another one.
WRITTEN_FOR_KOMBU = "5.7.0"

# allow-oom: a Redis full to maxmemory (noeviction) refuses ordinary scripts; this one frees about
# as much as it adds, so it may run. Stock kombu's client-side record is refused there, after its
# BRPOP has already taken the message.
FETCH_SCRIPT = """#!lua flags=allow-oom
-- KEYS: the unacked hash, its index by time, the queues in priority order, then their wake lists.
-- ARGV[1]: the consumer's clock (kombu's restore compares it with the visibility timeout);
-- ARGV[2]: how many of KEYS are queues.
local last_queue = 2 + tonumber(ARGV[2])
for i = 3, last_queue do
  local item = redis.call('RPOP', KEYS[i])
  if item then
    local ok, message = pcall(cjson.decode, item)
    if ok and type(message) == 'table' and type(message.properties) == 'table' then
      local tag = message.properties.delivery_tag
      local info = message.properties.delivery_info
      if type(tag) == 'string' and type(info) == 'table' then
        redis.call('ZADD', KEYS[2], ARGV[1], tag)
        -- kombu's own record: [message, exchange, routing key], the message as it was sent.
        redis.call('HSET', KEYS[1], tag,
          '[' .. item .. ',' .. cjson.encode(info.exchange) .. ',' .. cjson.encode(info.routing_key) .. ']')
        return {KEYS[i], item, 1}
      end
    end
    -- Not a kombu message: handed over as stock kombu would, unrecorded.
    return {KEYS[i], item, 0}
  end
end
-- Empty: the tokens pushed so far stand for messages already taken.
for i = last_queue + 1, #KEYS do
  redis.call('DEL', KEYS[i])
end
return false
"""
WAKE_KEY_PREFIX = "_kombu.wake"
# Tokens kept per queue: how many idle consumers one burst of publishes can wake at once.
WAKE_TOKENS_KEPT = 100
# A token only matters to a consumer already waiting, which takes it at once; those nobody took
# (a queue without consumers, such as a `celery inspect` reply queue) go away on their own.
WAKE_TOKENS_TTL_SECONDS = 60
MIN_REDIS_MAJOR = 7


class _Commands:
    """Collects the commands kombu's _put would send, as its publish batch does."""

    def __init__(self) -> None:
        self.collected: list[tuple[str, tuple]] = []

    def add(self, name: str, *args) -> None:
        self.collected.append((name, args))


class QoS(redis.QoS):
    def append(self, message, delivery_tag):
        if delivery_tag in self.channel.recorded_at_fetch:
            # Already in `unacked` since the fetch: only the in-memory bookkeeping remains.
            self.channel.recorded_at_fetch.discard(delivery_tag)
            virtual.QoS.append(self, message, delivery_tag)
        else:
            super().append(message, delivery_tag)


class Channel(redis.Channel):
    QoS = QoS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.global_keyprefix:
            # The script's keys and the wake lists would bypass kombu's prefixing.
            raise ValueError("tasks.broker:Transport does not support the global_keyprefix transport option")
        self.recorded_at_fetch: set[str] = set()
        self._fetch_sent = False  # False: the reply in flight is a wait's
        self._queues_were_empty = False
        self._server_checked = False

    def basic_consume(self, queue, *args, **kwargs):
        if not self._server_checked:
            self._require_scripts_with_flags()
        return super().basic_consume(queue, *args, **kwargs)

    def _require_scripts_with_flags(self) -> None:
        with self.conn_or_acquire() as client:
            version = str(client.info("server").get("redis_version", "0"))
        if int(version.split(".")[0]) < MIN_REDIS_MAJOR:
            raise RuntimeError(
                f"The broker is Redis {version}; consuming needs Redis {MIN_REDIS_MAJOR} or newer "
                "(tasks/broker.py fetches with a script that declares its flags)."
            )
        self._server_checked = True

    def _wake_key(self, queue: str) -> str:
        return f"{WAKE_KEY_PREFIX}{self.sep}{queue}"

    # --- publishing: kombu's, plus a wake token, in the same round trip -----------------------
    def _put(self, queue, message, **kwargs):
        # kombu's _put hands its commands to a publish batch when given one (kombu 5.7); without
        # one, a collector stands in, so kombu still decides the keys (priority, expiry).
        batch = kwargs.pop("_publish_batch", None)
        commands = batch if batch is not None else _Commands()
        super()._put(queue, message, _publish_batch=commands, **kwargs)
        key = self._wake_key(queue)
        commands.add("lpush", key, 1)
        commands.add("ltrim", key, 0, WAKE_TOKENS_KEPT - 1)
        commands.add("expire", key, WAKE_TOKENS_TTL_SECONDS)
        if batch is None:
            with self.conn_or_acquire() as client, client.pipeline(transaction=False) as pipe:
                for name, args in commands.collected:
                    getattr(pipe, name)(*args)
                pipe.execute()

    # --- consuming: fetch atomically; when empty, wait for a token ----------------------------
    def _fetch_args(self, queues) -> list:
        keys = [self._q_for_pri(queue, pri) for pri in self.priority_steps for queue in queues]
        wake_keys = [self._wake_key(queue) for queue in queues]
        return [
            "EVAL",
            FETCH_SCRIPT,
            2 + len(keys) + len(wake_keys),
            self.unacked_key,
            self.unacked_index_key,
            *keys,
            *wake_keys,
            time(),
            len(keys),
        ]

    def _brpop_start(self, timeout=None):
        queues = self._queue_cycle.consume(len(self.active_queues))
        if not queues:
            return
        if self._queues_were_empty:
            command = ["BRPOP", *(self._wake_key(queue) for queue in queues), timeout or self.brpop_timeout]
            self._fetch_sent = False
        else:
            command = self._fetch_args(queues)
            self._fetch_sent = True
        self._in_poll = self.client.connection
        self._brpop_sent_at = monotonic()
        self.client.connection.send_command(*command)

    def _brpop_read(self, **options):
        try:
            try:
                reply = self.client.parse_response(
                    self.client.connection, "EVAL" if self._fetch_sent else "BRPOP", **options
                )
            except self.connection_errors:
                # As kombu does: the next poll reconnects.
                self.client.connection.disconnect()
                raise
            if not self._fetch_sent:
                self._queues_were_empty = False  # a token, or the wait timed out: look again
                raise virtual.Empty()
            if not reply:
                self._queues_were_empty = True
                raise virtual.Empty()
            key, item, recorded = reply
            queue = bytes_to_str(key).rsplit(self.sep, 1)[0]
            self._queue_cycle.rotate(queue)
            self.connection._deliver(self._fetched(item, recorded), queue)
            return True
        finally:
            self._in_poll = None
            self._flush_brpop_reauth()

    def _fetched(self, item, recorded) -> dict:
        payload = loads(bytes_to_str(item))
        if recorded:
            self.recorded_at_fetch.add(payload["properties"]["delivery_tag"])
        return payload

    def _get(self, queue):
        """basic_get (synchronous): the same atomic fetch, for one queue."""
        with self.conn_or_acquire() as client:
            reply = client.execute_command(*self._fetch_args([queue]))
            self._maybe_update_queues_expire(client, queue)
        if not reply:
            raise virtual.Empty()
        _, item, recorded = reply
        return self._fetched(item, recorded)


class Transport(redis.Transport):
    Channel = Channel
