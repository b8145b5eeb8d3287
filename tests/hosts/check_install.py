"""Install Portal 2FA as a newcomer would and prove the README's snippet works.

Builds a wheel of this checkout, installs it into an empty virtualenv (dependencies from the
package index), checks the wheel carries templates, static files, migrations and `py.typed`,
creates a fresh `django-admin startproject`, pastes the README's "Add Portal 2FA to your Django
project" snippets into its settings.py and urls.py, migrates, and signs a user of a 2FA group in:
the session must be held at enrollment, whose page renders with the library's templates. Then
the optional API app: `pip install portal2fa[api]`, the README's API snippets, a token, the API
and /readyz.
Run by `make check-install` (CI). Exit status 0 when everything held; prints each step.
"""

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = re.compile(r"<!-- snippet:([\w-]+) -->\s*```python\n(.*?)```", re.S)
API_SNIPPET = re.compile(r"<!-- api-snippet:(\w+) -->\s*```python\n(.*?)```", re.S)

API_SMOKE = """
from django.test import Client
client = Client(SERVER_NAME="localhost")
ready = client.get("/readyz")
assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.content
token = open("token.txt").read().strip()
users = client.get("/api/two-factor/v1/users", HTTP_AUTHORIZATION=f"Bearer {token}")
assert users.status_code == 200 and "users" in users.json(), users.content
metrics = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
assert metrics.status_code == 200 and b"portal2fa_users" in metrics.content
print("the API answers a token; /readyz and /metrics answer")
"""

SMOKE = """
from django.contrib.auth.models import Group, User
from django.test import Client
from portal2fa.twofactor.models import GroupRole, TwoFactorSettings
TwoFactorSettings.objects.filter(pk=1).update(enabled=True)
group = Group.objects.create(name="Staff")
GroupRole.objects.create(group=group, requires_2fa=True)
user = User.objects.create_user("newcomer", "newcomer@example.org", "a long passphrase 123")
user.groups.add(group)
client = Client(SERVER_NAME="localhost")  # startproject allows localhost while DEBUG
assert client.login(username="newcomer", password="a long passphrase 123")
held = client.get("/admin/", HTTP_ACCEPT="text/html")
assert held.status_code == 302 and held.url == "/signin/verify/", (held.status_code, held.get("Location"))
page = client.get("/signin/enroll/")
assert page.status_code == 200 and b'data-testid="manual-key"' in page.content, page.status_code
assert b"portal2fa/portal.css" in page.content and b"My Site" in page.content
print("held at enrollment; the enrollment page renders")
"""


def step(message: str) -> None:
    print(f"== {message}", flush=True)


def run(*argv, cwd=None, env=None, fails_with=None) -> str:
    """Its output; `fails_with`: the command must fail and say this."""
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if fails_with is not None:
        if not result.returncode or fails_with not in result.stderr:
            sys.exit(
                f"FAILED: {' '.join(map(str, argv))} should say {fails_with!r}\n{result.stderr}"
            )
    elif result.returncode:
        sys.exit(f"FAILED: {' '.join(map(str, argv))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def snippets(pattern=SNIPPET, required=("settings", "urls", "no-login-page")) -> dict[str, str]:
    found = dict(pattern.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    missing = set(required) - set(found)
    if missing:
        sys.exit(f"FAILED: README.md has no snippet marked {sorted(missing)}")
    return found


def paste(target: Path, text: str) -> None:
    target.write_text(target.read_text() + "\n" + text)


def main() -> None:
    pasted = snippets()
    with tempfile.TemporaryDirectory(prefix="portal2fa-install-") as tmp:
        tmp = Path(tmp)
        step("build the wheel")
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", ROOT)
        (wheel,) = (tmp / "dist").glob("portal2fa-*.whl")
        names = zipfile.ZipFile(wheel).namelist()
        for needed in [
            "portal2fa/twofactor/templates/portal2fa/base.html",
            "portal2fa/twofactor/templates/portal2fa/setup/overview.html",
            "portal2fa/twofactor/static/portal2fa/portal.css",
            "portal2fa/twofactor/migrations/0001_initial.py",
            "portal2fa/audit/migrations/0001_initial.py",
            "portal2fa/twofactor/management/commands/portal2fa.py",
            "portal2fa/py.typed",  # a host's type checker reads the library's annotations
        ]:
            if needed not in names:
                sys.exit(f"FAILED: the wheel lacks {needed}")
        step(f"install {wheel.name} into an empty virtualenv")
        run(sys.executable, "-m", "venv", tmp / "venv")
        python = tmp / "venv" / "bin" / "python"
        run(python, "-m", "pip", "install", "-q", wheel)
        step("django-admin startproject, README snippet pasted")
        (tmp / "site").mkdir()
        run(tmp / "venv" / "bin" / "django-admin", "startproject", "newsite", tmp / "site")
        for name in ("settings", "urls"):
            paste(tmp / "site" / "newsite" / f"{name}.py", pasted[name])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL2FA_")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        manage = [python, "manage.py"]
        site = tmp / "site"
        step("manage.py check names the missing keys and the command that makes them")
        run(*manage, "check", cwd=site, env=env, fails_with="portal2fa keys generate")
        step("manage.py portal2fa keys generate, into the environment")
        generated = run(*manage, "portal2fa", "keys", "generate", cwd=site, env=env)
        env.update(line.split("=", 1) for line in generated.splitlines())
        step("manage.py check names the missing login page; the README's lines for it pasted")
        run(*manage, "check", cwd=site, env=env, fails_with="portal2fa.E013")
        paste(tmp / "site" / "newsite" / "settings.py", pasted["no-login-page"])
        step("manage.py check, migrate")
        run(*manage, "check", cwd=site, env=env)
        run(*manage, "migrate", "-v", "0", cwd=site, env=env)
        step("manage.py portal2fa overview --json; findstatic")
        print(run(*manage, "portal2fa", "settings", "show", cwd=site, env=env), end="")
        run(*manage, "portal2fa", "overview", "--json", cwd=site, env=env)
        run(*manage, "findstatic", "portal2fa/portal.css", cwd=site, env=env)
        step("the demo's `portal2fa` command without the demo extra: one line, exit 2")
        demo_command = subprocess.run(
            [tmp / "venv" / "bin" / "portal2fa", "overview"],
            capture_output=True,
            text=True,
            env=env,
        )
        if demo_command.returncode != 2 or "portal2fa[demo]" not in demo_command.stderr:
            sys.exit(f"FAILED: portal2fa without [demo]:\n{demo_command.stderr}")
        step("a newcomer's login is held at the second factor")
        print(run(*manage, "shell", "-c", SMOKE, cwd=site, env=env), end="")
        api_command(manage, site, env, python, wheel)
    step("install check passed")


def api_command(manage, site, env, python, wheel) -> None:
    """The optional API app: its commands name the extra until it is installed; then the README's
    API snippets pasted, migrate, a token from the CLI, and the API, /readyz and /metrics answer."""
    step("manage.py portal2fa token list without the API app: one line, exit 2")
    run(*manage, "portal2fa", "token", "list", cwd=site, env=env, fails_with="portal2fa[api]")
    step("pip install portal2fa[api]; the README's API snippets pasted; migrate; a token")
    run(python, "-m", "pip", "install", "-q", f"{wheel}[api]")
    pasted = snippets(API_SNIPPET, required=("settings", "urls"))
    for name in ("settings", "urls"):
        target = site / "newsite" / f"{name}.py"
        target.write_text(target.read_text() + "\n" + pasted[name])
    run(*manage, "migrate", "-v", "0", cwd=site, env=env)
    token = run(
        *manage, "portal2fa", "token", "create", "probe", "--scope", "read", cwd=site, env=env
    )
    (site / "token.txt").write_text(token)
    print(run(*manage, "shell", "-c", API_SMOKE, cwd=site, env=env), end="")


if __name__ == "__main__":
    main()
