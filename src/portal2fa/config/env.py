"""Deploy-time configuration, read once from the environment (and the local key file).

Every variable is documented in the README. The admin-editable 2FA policy is NOT here: it is a
database row (twofactor.models.TwoFactorSettings) so every process sees the same values.
"""

import functools
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_SOURCE_ROOT = PACKAGE_DIR.parent.parent  # the checkout, when installed from source (editable)


def default_data_dir() -> Path:
    if (_SOURCE_ROOT / "pyproject.toml").exists():
        return _SOURCE_ROOT / "var"
    return Path.cwd() / "var"


DATA_DIR = Path(os.environ.get("PORTAL2FA_DATA_DIR") or default_data_dir())
KEYS_FILE = Path(os.environ.get("PORTAL2FA_KEYS_FILE") or DATA_DIR / "keys.env")

KEY_NAMES = ("PORTAL2FA_SECRET_KEY", "PORTAL2FA_ENCRYPTION_KEYS", "PORTAL2FA_HASH_KEY")


def _read_keys_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in KEY_NAMES:
            values[name.strip()] = value.strip()
    return values


@functools.cache
def _file_keys() -> dict[str, str]:
    return _read_keys_file(KEYS_FILE)


def get(name: str, default: str = "") -> str:
    """An environment variable, falling back to the local key file for the key variables."""
    return os.environ.get(name) or _file_keys().get(name) or default


INVALID: dict[str, str] = {}  # variable -> what is wrong; reported by a system check at start-up


def get_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number >= minimum; an invalid value is recorded (the server refuses to start)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        INVALID[name] = f"must be a whole number of at least {minimum}, got {raw!r}"
        return default
    return int(raw)


def get_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def get_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in get(name, default).split(",") if item.strip()]
