"""Notices by e-mail, SMS and print: the outbox, templates, channels and the worker.

- ``queue_for_transition(record, entry, today)``: called by services.records after
  each command, in its transaction;
- ``daily_step(today)``: the time-based notices (services.daily runs it);
- ``suppress_queued_sms(patron, reason)``: called by services.patrons.opt_out;
- manual notices, cancelling, listing and the queue's health: services.notices.manage.
"""
from .outbox import queue_for_transition
from .manage import suppress_queued_sms
from .daily import daily_step

__all__ = ["daily_step", "queue_for_transition", "suppress_queued_sms"]
