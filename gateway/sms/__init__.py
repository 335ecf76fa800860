"""The SMS channel over Twilio: webhooks, what a text does, replies, the outbox."""
