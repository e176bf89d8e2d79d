"""SIGINT / SIGTERM: stop starting new work, let the report say what is still running.

CI systems send SIGTERM when a job is cancelled and give the process about ten seconds before
SIGKILL. Raising KeyboardInterrupt in the middle of an HTTP call would lose the operation key
of a deploy that was just started; setting an event instead lets every wait notice within a
slice of a second, the runner list what is in flight, and the report be written
(``runner.run_cancellable`` stops waiting for a call stuck on its socket after a few seconds).
A second signal sets ``hurry``: the report is written now. Either way the exit code is 130, so
a CI that cancels twice still gets the report and the documented code (not 143).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def cancel_on_signals(
    event: threading.Event,
    *,
    notify: Callable[[str], None] | None = None,
    hurry: threading.Event | None = None,
) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM set ``event``; any further one sets ``hurry`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if event.is_set():
            if hurry is not None:
                hurry.set()
            if notify is not None:
                notify(f"{name} received again: writing the report now; running ODC operations are listed")
            return
        event.set()
        if notify is not None:
            notify(f"{name} received: no new work starts; waiting stops, running ODC operations are listed")

    for sig in SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
