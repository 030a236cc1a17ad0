"""What other parts of the service desk hook into. Sent by ``accord.service.services`` inside
the write's transaction (after the audit entry), so a receiver's writes commit or roll back
with it. Receivers must write through their own services and must not raise for normal cases.

- ``case_opening(case, actor)``: a new case row exists (contract coverage; see below).
- ``case_opened(case, actor)``: then routing and SLA clocks.
- ``case_status_changed(case, old, new, actor)``: a status move (SLA pause/stop, surveys).
- ``case_message_added(message, actor)``: a reply, note or inbound message (first response).
"""

from django.dispatch import Signal

case_opened = Signal()
case_status_changed = Signal()
case_message_added = Signal()

# Sent before ``case_opened``, once the row exists: the service contracts part fills in the
# installed unit and contract from the serial number, so that SLA clocks started on
# ``case_opened`` can use the contract's service level.
case_opening = Signal()
