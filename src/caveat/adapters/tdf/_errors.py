"""The refusals of a TDF package: one root (an IntegrityError) and one class per reason.

A receiving node records the code; the detail says which check failed, never any key or
plaintext. Codes (to be catalogued in ``domain/error_catalogue.py``): ``tdf_invalid``,
``tdf_tampered``, ``tdf_not_recipient``, ``tdf_untrusted_signer``, ``tdf_too_large``,
``tdf_label_invalid``, ``tdf_provenance_invalid``, ``tdf_split_missing``.
"""

from __future__ import annotations

from caveat.domain.errors import ErrorKind, IntegrityError


class TdfError(IntegrityError):
    """Root of every refusal of a TDF package; never raised itself."""

    code = "tdf_invalid"


class TdfInvalid(TdfError):
    """Raised when the bytes are not a package in Caveat's profile of ZTDF: the ZIP
    layout, the manifest's JSON, the spec's schema or a value the profile fixes."""

    code = "tdf_invalid"


class TdfTampered(TdfError):
    """Raised when a well-formed package fails a cryptographic check: the policy binding,
    a segment hash, the root signature, an assertion binding, the manifest binding, the
    wrapped key or the payload's authenticated decryption."""

    code = "tdf_tampered"


class TdfNotRecipient(TdfError):
    """Raised when the package's key access object names another key or key access
    service than the reader's: it was not made for this node."""

    code = "tdf_not_recipient"


class TdfUntrustedSigner(TdfError):
    """Raised when an assertion is bound otherwise than the reader trusts: bound with the
    data key where a node signature is required, or signed where no signer is trusted."""

    code = "tdf_untrusted_signer"


class TdfTooLarge(TdfError):
    """Raised when a package, its manifest or its payload is larger than allowed."""

    code = "tdf_too_large"
    kind = ErrorKind.TOO_LARGE


class TdfLabelInvalid(TdfError):
    """Raised when an opened package does not carry exactly one Caveat label and one
    export classification, or they do not parse, or their two forms disagree."""

    code = "tdf_label_invalid"


class TdfProvenanceInvalid(TdfError):
    """Raised when an opened package carries no provenance assertion (the originating
    node and artifact), or one not in its schema's exact form."""

    code = "tdf_provenance_invalid"


class TdfSplitMissing(TdfError):
    """Raised when a split package is opened without its originating node's key split
    (split mode: the receiver must obtain that split before the first open)."""

    code = "tdf_split_missing"
