"""A consumer that dies the moment Redis has handed it a message, before reading the reply.

Run as `python -m tests.faults.fetch_then_die <broker url> <transport> <queue>`: it asks for the
next message as a worker's event loop does, waits until the reply is in its socket, and SIGKILLs
itself. What Redis holds afterwards is what a worker killed at that moment leaves behind.
"""

from __future__ import annotations

import os
import select
import signal
import sys

from kombu import Connection


def main(url: str, transport: str, queue: str) -> None:
    connection = Connection(url, transport=transport)
    channel = connection.channel()
    channel.basic_consume(queue, no_ack=False, callback=lambda message: None, consumer_tag="dies")
    connection.transport.cycle.on_poll_start()  # sends the fetch, as the worker's hub does
    readable, _, _ = select.select([channel.client.connection._sock], [], [], 10)
    if not readable:
        sys.exit("no reply from Redis within 10 s")
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(*sys.argv[1:4])
