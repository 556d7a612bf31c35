"""Web push: VAPID keys (`vapid`), endpoint checks (`endpoints`), the outbox (`outbox`) and the
HTTP sender (`sender`). Import the module you need: ``from app.push import outbox``."""
