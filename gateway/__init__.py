"""The gateway's Flask application: `create_app` builds it from settings.

Importing this package touches no disk, network or environment; everything
happens inside the factory, so `waitress-serve --call gateway:create_app` works.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from flask import Flask

from gateway.config import ConfigError, load_config, secret_key_file

try:
    __version__ = version("coproduction-gateway")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0+unknown"


def create_app(test_config: dict | None = None) -> Flask:
    from gateway import health
    from gateway.db import close_db
    from gateway.runtime import load_runtime

    config = load_config(overrides=test_config)
    app = Flask(__name__, instance_path=config["INSTANCE_PATH"])
    app.config.update(config)
    app.config["SECRET_KEY"] = _secret_key(app)
    logging.getLogger("gateway").setLevel(app.config["LOG_LEVEL"].upper())
    app.extensions["gateway"] = load_runtime(app.config)
    app.teardown_appcontext(close_db)
    app.register_blueprint(health.bp)
    return app


def _secret_key(app: Flask) -> str:
    if app.config["SECRET_KEY"]:
        return app.config["SECRET_KEY"]
    key_file = secret_key_file(app.instance_path)
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    raise ConfigError(
        "There is no secret key. Run `gateway init`, or set GATEWAY_SECRET_KEY."
    )
