"""Domain signals. ``invites_created`` is sent by ``services.invites_write`` inside the transaction
that writes the invites (bulk inserts send no ``post_save``): a receiver that raises rolls the
whole write back. A receiver with side effects outside the database (mail, webhooks) must defer
them with ``transaction.on_commit`` so that they never announce an invite that was rolled back."""

from django.dispatch import Signal

# Arguments: appointments (the list just written, with their participants).
invites_created = Signal()
