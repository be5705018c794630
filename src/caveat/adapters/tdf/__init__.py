"""Release packages: Trusted Data Format (OpenTDF / ZTDF) packages written and read with
``cryptography`` alone (ADR 0022). No database, no network: bytes and keys in, bytes out.

- :func:`write_package` encrypts a payload for one recipient node's P-256 key and binds
  a policy and assertions to it; :func:`caveat_assertions` makes the label and export
  classification assertions a release carries.
- :func:`read_package` verifies every part of a package before it returns any plaintext
  (:class:`Opened`); :func:`read_markings` gives the label and export classification of
  an opened package; :func:`provenance_assertion` and :func:`read_provenance` say which
  node and artifact a package comes from.
- Split mode (the spec's key splits): :func:`write_split_package` keeps one split of the
  payload key for the originating node; :func:`inspect_package` checks everything the
  recipient can check alone and :func:`open_package` opens with the originator's split.
- Every refusal is a :class:`TdfError` (an IntegrityError) with a stable code.
"""

from caveat.adapters.tdf._assertions import Assertion, Statement, VerifiedAssertion
from caveat.adapters.tdf._crypto import key_id
from caveat.adapters.tdf._errors import (
    TdfError,
    TdfInvalid,
    TdfLabelInvalid,
    TdfNotRecipient,
    TdfProvenanceInvalid,
    TdfSplitMissing,
    TdfTampered,
    TdfTooLarge,
    TdfUntrustedSigner,
)
from caveat.adapters.tdf._markings import (
    EXPORT_ASSERTION_ID,
    LABEL_ASSERTION_ID,
    Markings,
    caveat_assertions,
    export_assertion,
    label_assertion,
    read_markings,
)
from caveat.adapters.tdf._package import (
    DEFAULT_MIME_TYPE,
    Opened,
    Sealed,
    SplitPackage,
    inspect_package,
    open_package,
    read_package,
    unwrap_split,
    wrap_split,
    write_package,
    write_split_package,
)
from caveat.adapters.tdf._policy import policy_object
from caveat.adapters.tdf._profile import (
    DEFAULT_SEGMENT_SIZE,
    MANIFEST_BINDING_ID,
    MANIFEST_NAME,
    MAX_PAYLOAD_BYTES,
    MAX_SEGMENT_SIZE,
    MIN_SEGMENT_SIZE,
    PAYLOAD_NAME,
)
from caveat.adapters.tdf._provenance import (
    PROVENANCE_ASSERTION_ID,
    PROVENANCE_SCHEMA,
    Provenance,
    provenance_assertion,
    read_provenance,
)
from caveat.adapters.tdf._schema import schema_bytes, schema_errors

__all__ = [
    "DEFAULT_MIME_TYPE",
    "DEFAULT_SEGMENT_SIZE",
    "EXPORT_ASSERTION_ID",
    "LABEL_ASSERTION_ID",
    "MANIFEST_BINDING_ID",
    "MANIFEST_NAME",
    "MAX_PAYLOAD_BYTES",
    "MAX_SEGMENT_SIZE",
    "MIN_SEGMENT_SIZE",
    "PAYLOAD_NAME",
    "PROVENANCE_ASSERTION_ID",
    "PROVENANCE_SCHEMA",
    "Assertion",
    "Markings",
    "Opened",
    "Provenance",
    "Sealed",
    "SplitPackage",
    "Statement",
    "TdfError",
    "TdfInvalid",
    "TdfLabelInvalid",
    "TdfNotRecipient",
    "TdfProvenanceInvalid",
    "TdfSplitMissing",
    "TdfTampered",
    "TdfTooLarge",
    "TdfUntrustedSigner",
    "VerifiedAssertion",
    "caveat_assertions",
    "export_assertion",
    "inspect_package",
    "key_id",
    "label_assertion",
    "open_package",
    "policy_object",
    "provenance_assertion",
    "read_markings",
    "read_package",
    "read_provenance",
    "schema_bytes",
    "schema_errors",
    "unwrap_split",
    "wrap_split",
    "write_package",
    "write_split_package",
]
