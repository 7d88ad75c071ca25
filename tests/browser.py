"""Open a local HTML file in headless Chromium with the network disabled.

Chromium runs inside a fresh network namespace (`unshare -n`: no network device but a
down loopback) when the machine allows it; otherwise every request is routed to nowhere by
Chromium's own proxy and host-resolver settings.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--proxy-server=socks5://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=20000", "--window-size=1280,1000",
]  # fmt: skip


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: `make test` installs Debian's chromium package.")
    return path


@lru_cache(maxsize=1)
def _no_network_prefix() -> tuple[str, ...]:
    try:
        subprocess.run(["unshare", "-n", "true"], check=True, capture_output=True, timeout=10)
        return ("unshare", "-n")
    except (OSError, subprocess.SubprocessError):
        return ()


def open_offline(page: Path, screenshot: Path, profile: Path, *, wait_for: str | None = None, attempts: int = 3) -> str:
    """Render `page`, write a screenshot, return the rendered DOM.

    wait_for: text the rendered DOM must hold once the page's scripts have run. Headless
    Chromium's virtual-time budget now and then ends before a heavy page (the 1.8 MB Splink
    comparison viewer) has drawn; the DOM is then dumped again, up to `attempts` times.
    """
    base = [*_no_network_prefix(), chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    url = page.resolve().as_uri()
    subprocess.run([*base, f"--screenshot={screenshot}", url], check=True, capture_output=True, timeout=180)
    for _ in range(attempts):
        dom = subprocess.run([*base, "--dump-dom", url], check=True, capture_output=True, timeout=180, text=True)
        if wait_for is None or wait_for in dom.stdout:
            break
    return dom.stdout


def not_blank(screenshot: Path) -> tuple[int, float]:
    """(distinct colours, share of non-white pixels) of a screenshot."""
    from PIL import Image

    image = Image.open(screenshot).convert("RGB").resize((320, 250))
    pixels = list(image.getdata())
    colours = len(set(pixels))
    inked = sum(1 for p in pixels if min(p) < 235) / len(pixels)
    return colours, inked
