"""Shared set-up for the TUI tests: a fixed small pack and knowledge base, a fixed user."""

from __future__ import annotations

import asyncio
import functools
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kbtool.tui.app import KbApp, TuiOptions

DATA = Path(__file__).parent / "data" / "tui"
PACK = str(DATA / "pack.yml")
SIZE = (80, 24)


def copy_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(DATA / "kb", kb)
    return kb


def make_app(tmp_path: Path, user: str = "小王", mode: str = "editor", store: bool = True) -> KbApp:
    kb = copy_kb(tmp_path)
    options = TuiOptions(kb_dir=kb, style=PACK, db=tmp_path / "kb.db", user=user, open_store=store,
                         cache_dir=tmp_path / "cache")
    return KbApp(options, start_mode=mode)


async def settle(pilot: Pilot, quiet_rounds: int = 3, timeout: float = 15.0) -> None:
    """Wait until the app is quiet: no worker running, no debounced call (search, check) or
    delayed redraw waiting on a screen, for a few refreshes in a row (start-up posts several
    messages in a chain). Waits for the state, never for a guessed time."""
    from textual.worker import WorkerState

    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while quiet < quiet_rounds:
        await app.workers.wait_for_complete()
        await pilot.pause()
        running = any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)
        if running or any(getattr(s, "busy", False) for s in app.screen_stack):
            quiet = 0
            await pilot.pause(0.02)
        else:
            quiet += 1
        assert loop.time() < deadline, "the app did not settle"


async def type_fast(pilot: Pilot, keys: list[str], gap: int = 0) -> None:
    """Keys as a fast typist's arrive from the terminal: straight onto the app's queue, with
    ``gap`` turns of the event loop between them (0: all in one read), never waiting for the
    app to finish one key before the next comes (``pilot.press`` waits after each key)."""
    from textual import events

    app = pilot.app
    characters = {"slash": "/", "space": " "}
    for key in keys:
        event = events.Key(key, characters.get(key, key if len(key) == 1 else None))
        event.set_sender(app)
        app._driver.send_message(event)
        for _ in range(gap):
            await asyncio.sleep(0)


def pilot_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on a fresh event loop (no async plugin needed)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


SPOKEN_CARD_LOSS = (
    "您可致电95588办理口头挂失，口头挂失有效期为5天。\n\n逾期未办理长期挂失的，系统自动予以解除。满7日后方可补卡。\n\n"
    "```verbatim\n信息安全声明：本行工作人员不会向您索要密码或验证码。\n```"
)


async def approve_card_loss(pilot: Pilot) -> None:
    """card-loss written by 小王 and approved by 小李, straight through the store (the editor's
    and the reviewer's screens have their own tests)."""
    app = pilot.app
    await settle(pilot)
    app.store.save("card-loss", SPOKEN_CARD_LOSS, base_revision=None, user="小王")
    app.store.submit("card-loss", user="小王")
    app.store.approve("card-loss", user="小李")
