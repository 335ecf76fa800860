"""The touchscreen kiosk channel: blueprint, templates and static assets."""
