"""Without a real secret key the portal does not start (sessions would be forgeable)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from portal import create_app
from portal.security import MissingSecretKey, configure_secret_key

ROOT = Path(__file__).resolve().parents[1]


def production_app(tmp_path, **config):
    """The app as gunicorn makes it (no TESTING), with no secret file (not the checkout's own)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "p.sqlite"),
                       "SECRET_KEY_FILE": str(tmp_path / "no-secret-here"), **config})


@pytest.fixture
def no_secret_in_environment(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


@pytest.mark.parametrize("key", [None, "", "short-key"])
def test_no_or_a_short_secret_refuses_to_start_with_one_line(tmp_path, no_secret_in_environment, key, capsys):
    with pytest.raises(MissingSecretKey) as refused:
        production_app(tmp_path, SECRET_KEY=key)
    message = str(refused.value)
    assert capsys.readouterr().err == message + "\n"
    assert "SECRET_KEY" in message and "\n" not in message and message.startswith("error: ")
    assert refused.value.code == 3  # SystemExit without a traceback; gunicorn's master stops on 3


def test_a_real_secret_starts(tmp_path, no_secret_in_environment):
    app = production_app(tmp_path, SECRET_KEY="k" * 32)
    assert app.secret_key == "k" * 32


def test_the_secret_file_is_used_when_the_environment_has_none(tmp_path, no_secret_in_environment):
    (tmp_path / "mine").write_text("m" * 40 + "\n")
    assert production_app(tmp_path, SECRET_KEY_FILE=str(tmp_path / "mine")).secret_key == "m" * 40


def test_the_instance_secret_file_is_the_default(tmp_path):
    app = Flask("portal_probe", instance_path=str(tmp_path))
    (tmp_path / "secret_key").write_text("f" * 64 + "\n")
    configure_secret_key(app)
    assert app.secret_key == "f" * 64
    app = Flask("portal_probe", instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "e" * 32  # the environment wins over the file
    configure_secret_key(app)
    assert app.secret_key == "e" * 32


def test_debug_gets_a_random_secret_per_process_and_tests_keep_theirs(tmp_path):
    debug = Flask("portal_probe", instance_path=str(tmp_path))
    debug.debug = True
    configure_secret_key(debug)
    other = Flask("portal_probe", instance_path=str(tmp_path))
    other.debug = True
    configure_secret_key(other)
    assert len(debug.secret_key) >= 32 and debug.secret_key != other.secret_key


def test_a_command_without_a_secret_exits_with_the_one_line(tmp_path):
    """As an operator sees it: `flask --app portal …` in a checkout with no secret anywhere."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FLASK_DEBUG")}
    env.update(PYTHONPATH=str(ROOT), SECRET_KEY_FILE=str(tmp_path / "none"), DATABASE_URL="sqlite://")
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "portal", "graph", "--check"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 3
    assert result.stderr.strip().startswith("error: no SECRET_KEY") and len(result.stderr.strip().splitlines()) == 1
