"""Independent pieces of work run here, or as tasks on a Dask cluster when given a client.

Nothing here is home-made scheduling: with a ``dask.distributed.Client``
each call becomes one ``client.submit`` task and the results come back with
``client.gather``, in the order of the calls. The warnings a task raised on
its worker are raised again here, so the caller sees what it would have seen
running the calls itself. Without a client the calls run in this process,
one after another. The same seeds give the same results either way.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def run_tasks(
    function: Callable[..., Any],
    calls: Sequence[tuple],
    client: Any = None,
    label: str = "task",
    progressbar: bool = False,
) -> list[Any]:
    """``[function(*call) for call in calls]``, here or on the client's cluster.

    With ``progressbar``, a bar counts the calls done (``label``), here or
    as the cluster finishes them.
    """
    with counting(label, len(calls), progressbar) as advance:
        if client is None:
            out = []
            for call in calls:
                out.append(function(*call))
                advance()
            return out
        check_client(client)
        from dask.distributed import as_completed

        run = uuid.uuid4().hex[:8]
        futures = [
            client.submit(_warned, function, *call, key=f"exlink-{label}-{i}-{run}", pure=False)
            for i, call in enumerate(calls)
        ]
        for _ in as_completed(futures):
            advance()
    out = []
    for result, raised in client.gather(futures):
        for category, message in raised:
            warnings.warn(message, category, stacklevel=3)
        out.append(result)
    return out


@contextmanager
def counting(label: str, total: int, enabled: bool = True) -> Iterator[Callable[[], None]]:
    """A progress bar counting ``total`` pieces of work (``label`` s); yields its advance.

    The bar is drawn only when ``enabled`` and goes away when done.
    """
    with Progress(
        TextColumn(f"{label}s"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def check_client(client: Any) -> None:
    """Refuse anything that is not a ``dask.distributed.Client``."""
    if not all(hasattr(client, name) for name in ("submit", "gather", "scatter")):
        raise TypeError(
            "client must be a dask.distributed.Client (from dask.distributed import Client), "
            f"got {type(client).__name__}."
        )


def _warned(function: Callable[..., Any], *call: Any) -> tuple[Any, list[tuple[type, str]]]:
    """Run one call on a worker; return its result and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*call)
    return result, [(w.category, str(w.message)) for w in caught]
