"""The SQLite database (live session ids) and the key file are created mode 600."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from portal2fa.cli.run import secure_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secure_file_creates_600_and_narrows_an_existing_file(tmp_path):
    fresh = tmp_path / "new.sqlite3"
    secure_file(fresh)
    assert _mode(fresh) == 0o600
    wide = tmp_path / "old.sqlite3"
    wide.write_text("x")
    wide.chmod(0o644)
    (tmp_path / "old.sqlite3-wal").write_text("x")
    (tmp_path / "old.sqlite3-wal").chmod(0o644)
    secure_file(wide)
    assert _mode(wide) == 0o600 and _mode(tmp_path / "old.sqlite3-wal") == 0o600
    assert wide.read_text() == "x"


def test_portal2fa_migrate_and_keys_init_create_files_600_under_umask_022(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL2FA_", "DATABASE_URL"))}
    env.update(PORTAL2FA_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal2fa.config.settings")
    command = [sys.executable, "-c", "import sys; from portal2fa.cli import main; sys.exit(main())"]
    old = os.umask(0o022)
    try:
        for argv in (["keys", "init"], ["migrate"]):
            done = subprocess.run(command + argv, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    finally:
        os.umask(old)
    assert _mode(tmp_path / "keys.env") == 0o600
    assert _mode(tmp_path / "portal2fa.sqlite3") == 0o600
