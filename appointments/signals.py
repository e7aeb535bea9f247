"""Domain signals. ``invites_created`` is sent by ``services.invites_write`` inside the transaction
that writes the invites (bulk inserts send no ``post_save``): a receiver that raises rolls the
whole write back."""

from django.dispatch import Signal

# Arguments: appointments (the list just written, with their participants).
invites_created = Signal()
