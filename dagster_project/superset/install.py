"""`puhui setup`: Superset's virtualenv from the committed lock, and Chromium.

Idempotent: the venv is (re)synced only when the lock's hash differs from the
one recorded after the last successful install, and apt runs only when
Chromium, its driver or the CJK fonts are missing. A fresh machine needs only
Python 3.11, pip (for uv) and apt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dagster_project.settings import Settings
from dagster_project.superset.server import ASSETS_DIR

LOCK_FILE = ASSETS_DIR / "requirements.lock.txt"
STAMP = ".puhui-lock-sha256"
APT_PACKAGES = ("chromium", "chromium-driver", "fonts-noto-cjk")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _uv() -> list[str]:
    exe = shutil.which("uv")
    return [exe] if exe else [sys.executable, "-m", "uv"]


def lock_hash(lock: Path = LOCK_FILE) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()


def venv_is_current(venv: Path, lock: Path = LOCK_FILE) -> bool:
    stamp = venv / STAMP
    return ((venv / "bin" / "superset").exists() and stamp.exists()
            and stamp.read_text().strip() == lock_hash(lock))


def ensure_venv(venv: Path, lock: Path = LOCK_FILE) -> bool:
    """Create/sync the Superset venv from the lock. Returns True when it changed."""
    if venv_is_current(venv, lock):
        return False
    if not (venv / "bin" / "python").exists():
        subprocess.run([*_uv(), "venv", "--python", "3.11", str(venv)], check=True)
    # --require-hashes: a fresh machine installs byte-identical wheels.
    subprocess.run([*_uv(), "pip", "sync", "--python", str(venv / "bin" / "python"),
                    "--require-hashes", str(lock)], check=True)
    (venv / STAMP).write_text(lock_hash(lock) + "\n")
    return True


# Compile every module of an environment to bytecode, once. Python reads the .pyc files
# even where PYTHONDONTWRITEBYTECODE is set (this machine sets it), but never writes
# them there: without this, every process compiles Dagster, dbt, Great Expectations
# (or Flask, pandas, SQLAlchemy) from source again, about 12 s of CPU each. Files
# already compiled are skipped, so a second setup takes seconds.
_COMPILE = """
import compileall, sys, sysconfig
for path in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                           *sys.argv[1:]]):
    compileall.compile_dir(path, quiet=2, workers=0)
"""


def compile_bytecode(python: Path, *extra: Path) -> None:
    """Write the bytecode of ``python``'s site-packages (and of ``extra`` source trees).
    A file that does not compile (a template, a Python 2 test in some package) is
    skipped: Python never imports it either."""
    subprocess.run([str(python), "-c", _COMPILE, *map(str, extra)], check=False,
                   stdout=subprocess.DEVNULL)


def cjk_font_present() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return False
    return "CJK" in out.stdout


def browser_present() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists() and cjk_font_present()


def ensure_browser() -> bool:
    """apt-get install Chromium, its driver and CJK fonts when any is missing."""
    if browser_present():
        return False
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", *APT_PACKAGES], check=True, env=env)
    return True


def setup(settings: Settings, say: Callable[[str], object] = print) -> None:
    """`puhui setup` (and the demo's first step): Superset's venv, the bytecode of both
    environments, headless Chromium with CJK fonts. Idempotent."""
    changed = ensure_venv(settings.superset_venv_dir)
    say(f"Superset venv {settings.superset_venv_dir}: {'installed' if changed else 'up to date'}")
    say("compiling bytecode of both environments ...")
    compile_bytecode(Path(sys.executable), Path(__file__).resolve().parents[1])
    compile_bytecode(settings.superset_venv_dir / "bin" / "python")
    changed = ensure_browser()
    say(f"Chromium + fonts-noto-cjk: {'installed' if changed else 'present'}")
