"""The gateway's Flask application: `create_app` builds it from settings.

Importing this package touches no disk, network or environment; everything
happens inside the factory, so `waitress-serve --call gateway:create_app` works.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from flask import Flask

from gateway.config import ConfigError, load_config, secret_key_file

# A kiosk tap or an SMS webhook is a few KB at most.
REQUEST_LIMIT_BYTES = 32 * 1024

try:
    __version__ = version("coproduction-gateway")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0+unknown"


def create_app(test_config: dict | None = None) -> Flask:
    """The app, wired from settings. It reads the install and writes nothing:
    schema and keys are `gateway init`'s and `gateway migrate`'s. It starts
    even with migrations waiting, so /healthz can say so; `gateway serve` and
    `gateway worker` are what refuse to run then."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from gateway import channels, health
    from gateway.cookies import install_sessions
    from gateway.db import close_db
    from gateway.errors import register_error_pages
    from gateway.i18n import install_translations
    from gateway.runtime import load_runtime
    from gateway.security_headers import install_security_headers

    config = load_config(overrides=test_config)
    app = Flask(__name__, instance_path=config["INSTANCE_PATH"])
    app.config.update(config)
    app.config["SECRET_KEY"] = _secret_key(app)
    # Every route has a body limit: this one, unless its blueprint sets its own
    # (the sync push allows the most). A larger body is refused with 413 from
    # its Content-Length, before it is read.
    app.config["MAX_CONTENT_LENGTH"] = REQUEST_LIMIT_BYTES
    logging.getLogger("gateway").setLevel(app.config["LOG_LEVEL"].upper())
    runtime = load_runtime(app.config)
    app.extensions["gateway"] = runtime
    proxies = app.config["TRUST_PROXY"]
    if proxies:
        # Twilio signs the public https URL; rebuild it from the proxy's headers.
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )
    install_sessions(app)  # none for Twilio's webhooks and sync
    install_translations(app)  # each page in its conversation's language
    app.teardown_appcontext(close_db)
    install_security_headers(app)
    register_error_pages(app)
    app.register_blueprint(health.bp)
    channels.install_web(app)  # each channel's own routes: SMS, kiosk
    if app.config["ROLE"] in ("board", "both"):
        from gateway.board.web import install_board  # a site never loads the board

        install_board(app)
    _warn_about_sms_setup(app)
    return app


def _warn_about_sms_setup(app: Flask) -> None:
    log = logging.getLogger("gateway")
    if app.config["TWILIO_AUTH_TOKEN"]:
        return
    if app.config["SMS_INSECURE_DEV"]:
        log.warning(
            "GATEWAY_SMS_INSECURE_DEV is on: the SMS webhook accepts unsigned "
            "requests. Never use this where the internet can reach the gateway."
        )
    else:
        log.debug("No TWILIO_AUTH_TOKEN: the SMS webhook refuses every request.")


def _secret_key(app: Flask) -> str:
    if app.config["SECRET_KEY"]:
        return app.config["SECRET_KEY"]
    key_file = secret_key_file(app.instance_path)
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    raise ConfigError(
        "There is no secret key. Run `gateway init`, or set GATEWAY_SECRET_KEY."
    )
