"""SIGINT / SIGTERM: stop starting new work, let the report say what is still running.

CI systems send SIGTERM when a job is cancelled and give the process a few seconds before
SIGKILL. Raising KeyboardInterrupt in the middle of an HTTP call would lose the operation key
of a deploy that was just started; setting an event instead lets every wait notice within a
slice of a second, the runner list what is in flight, and the report be written. A second
signal falls back to the default (immediate) behaviour.
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
    event: threading.Event, *, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Within the block, the first SIGINT/SIGTERM sets ``event`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if event.is_set():
            signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler)
            signal.raise_signal(signum)
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
