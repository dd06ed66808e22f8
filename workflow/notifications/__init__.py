"""Notifications: the reporter hears of every public step, staff of the work that concerns them.

* :mod:`~workflow.notifications.listener` decides who hears of each event and queues the messages
  in the outbox, in the transaction of the change (``hooks.on_change``);
* :mod:`~workflow.notifications.templates` holds the words (Bahasa Indonesia first, English alongside);
* :mod:`~workflow.notifications.senders` delivers them after commit (``flask outbox deliver``): e-mail,
  SMS and WhatsApp gateways, in-app notices;
* :mod:`~workflow.notifications.notices` lets staff read their in-app notices.

Importing this package registers the listener and the senders.
"""

from workflow.notifications import listener, senders  # noqa: F401  (registers the listener and the senders)
