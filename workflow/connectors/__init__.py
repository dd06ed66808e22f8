"""Connectors to systems outside Aduflow: the SP4N-LAPOR! hub and Klungkung Mesadu.

Importing this package registers the connectors' in-transaction listeners (``hooks.on_change``)
and their outbox senders; the app factory imports it, so every process that builds the app
queues hub messages with the changes that cause them.
"""

from workflow import notifications  # noqa: F401  (e-mail, SMS, WhatsApp and in-app notices: listener, senders)
from workflow.connectors import lapor  # noqa: F401  (registers the listener and the outbox senders)
