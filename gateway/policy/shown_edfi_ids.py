"""The Ed-Fi resource ids an app under a pseudonymous agreement is shown, and the district's
ids behind the ones it sends back.

A district's Ed-Fi `id` (adapters/edfi_mapping/identity.py: a UUID5 of resource and sourcedId)
is the same for every app, so two pseudonymous apps could join their Ed-Fi data on it even
though every person key they see differs. Such an app is shown instead a keyed permutation of
the id: the id's 16 bytes encrypted with AES-128 under a key of its own, derived (HMAC-SHA256)
from the store's pseudonym secret (gateway/policy/pseudonyms.py) and the app's id. It reads as
32 lower-case hex digits like any Ed-Fi id (the ODS API's ids are GUIDs written without
dashes; nothing asks for UUID version bits, and `is_edfi_id` checks only the 32 hex digits).

Being a permutation, the id reverses without a map: an id the app sends is decrypted with its
key to the district's id, which is then looked up as usual (gateway/policy/edfi/ids.py). The
district's own id, or another app's, decrypts to a random value no row has, so it answers
exactly as an unknown id does. Apps whose agreement is not pseudonymous get no cipher (None):
their ids are the district's, at no cost.

Descriptor values' ids (gateway/edfi/descriptor_reads.py) are not transformed: a descriptor
is a code value shared by every app, carrying no person data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading

from gateway.policy.agreement import Agreement

FORWARD_ENTRIES = 1 << 16  # shown ids one app's process remembers (pages repeat links)
# In a stored document (compact JSON, gateway/sync/edfi_documents.py) the ids are the item's
# own `id` and the ids ending its references' link hrefs. A string value cannot hold either
# pattern: its quotes are escaped.
_DOC_IDS = re.compile(rb'("id":"|"href":"/ed-fi/[A-Za-z]+/)([0-9a-f]{32})"')


def app_key(store_key: bytes, app_id: int) -> bytes:
    """The app's 128-bit AES key: one per app, derived so nothing new needs keeping."""
    return hmac.new(store_key, b"edfi ids\x1f" + str(app_id).encode("ascii"),
                    hashlib.sha256).digest()[:16]


class EdFiIdCipher:
    """One app's permutation of Ed-Fi ids, both ways.

    ECB is the right mode here, not the usual mistake: it is applied to exactly one 16-byte
    block, so it is the bare block cipher, a keyed pseudorandom permutation of 128-bit values.
    ECB's weakness (equal blocks of one long message encrypt equally) needs several blocks;
    and the determinism is the point (an item's id must be stable), while no IV or tag could
    fit in 32 hex digits. Distinct district ids give distinct shown ids, and only the key
    maps one back."""

    def __init__(self, store_key: bytes, app_id: int) -> None:
        # Imported here: a sync imports this module but never makes a cipher, and
        # cryptography's native bindings are several MiB of its memory.
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        self._cipher = Cipher(algorithms.AES(app_key(store_key, app_id)), modes.ECB())
        self._local = threading.local()  # cipher contexts are not shared between threads
        self._forward: dict[str, str] = {}

    def _contexts(self):  # noqa: ANN202
        found = getattr(self._local, "contexts", None)
        if found is None:  # ECB contexts stay usable block after block: never finalized
            found = self._local.contexts = (self._cipher.encryptor(), self._cipher.decryptor())
        return found

    def shown(self, district_id: str) -> str:
        """The id the app is shown for the district's id (32 hex digits)."""
        found = self._forward.get(district_id)
        if found is None:
            if len(self._forward) >= FORWARD_ENTRIES:
                self._forward.clear()
            found = self._contexts()[0].update(bytes.fromhex(district_id)).hex()
            self._forward[district_id] = found
        return found

    def district(self, shown_id: str) -> str | None:
        """The district's id behind an id the app sent (None: not 32 hex digits)."""
        try:
            block = bytes.fromhex(shown_id)
        except ValueError:
            return None
        if len(block) != 16:
            return None
        return self._contexts()[1].update(block).hex()

    def document(self, doc: bytes) -> bytes:
        """A stored document (district ids) with the ids this app is shown."""
        return _DOC_IDS.sub(lambda m: m[1] + self.shown(m[2].decode("ascii")).encode("ascii")
                            + b'"', doc)


def applies(agreement: Agreement) -> bool:
    """Whether the agreement hides the district's Ed-Fi ids: any pseudonymous setting does
    (a class's or a person's item alike would otherwise be a key to join on)."""
    return bool(agreement.pseudonymous_ids)
