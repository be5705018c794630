"""The catalogue of Caveat's stable error codes: each code, its kind and what it means.

Clients switch on an error's ``code``; its ``kind`` decides the HTTP status
(``caveat.api.problems``) and the CLI exit code (``caveat.cli.output``), so both follow
from a code's entry here. ``docs/errors.md`` is generated from this catalogue
(``scripts/error_docs.py``), and ``tests/domain/test_error_catalogue.py`` reads the
source to check that every code raised, emitted or switched on is catalogued, with the
kind of the error that raises it, and that every entry is still used.

A raise site may write the code as a string (``code="unknown_project"``) or as a member
(``code=ErrorCode.UNKNOWN_PROJECT``): a StrEnum member is its string.
"""

from __future__ import annotations

from enum import StrEnum

from caveat.domain.errors import ErrorKind


class ErrorCode(StrEnum):
    """Every stable error code, with its kind and its meaning for a user or integrator."""

    kind: ErrorKind
    meaning: str

    def __new__(cls, code: str, kind: ErrorKind, meaning: str) -> ErrorCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.kind = kind
        member.meaning = meaning
        return member

    # --- INVALID: the input is wrong; the caller can fix it
    INVALID_INPUT = (
        "invalid_input",
        ErrorKind.INVALID,
        "The input is malformed or breaks a rule the caller can fix; `field` names what to "
        "change (and `errors` every field, for a request body).",
    )
    AGREEMENT_COVERAGE_REQUIRED = (
        "agreement_coverage_required",
        ErrorKind.INVALID,
        "An agreement covers at least one programme or project, and this one names none.",
    )
    AGREEMENT_PARTIES_REQUIRED = (
        "agreement_parties_required",
        ErrorKind.INVALID,
        "An agreement needs its parties: at least two nations or organisations.",
    )
    AGREEMENT_TEXT_NOT_RELEASABLE = (
        "agreement_text_not_releasable",
        ErrorKind.INVALID,
        "The agreement's text is labelled so that a party could not read it; every party must "
        "be able to read its own agreement.",
    )
    AMBIGUOUS_AUTHORIZATION = (
        "ambiguous_authorization",
        ErrorKind.INVALID,
        "More than one export authorization has that number; name it by its id.",
    )
    AMBIGUOUS_RESOURCE = (
        "ambiguous_resource",
        ErrorKind.INVALID,
        "More than one resource has that title; name it by its id.",
    )
    AUTHORIZATION_END_USERS_REQUIRED = (
        "authorization_end_users_required",
        ErrorKind.INVALID,
        "An export authorization names its end users (organisations, nations or people).",
    )
    AUTHORIZATION_NOT_COVERING = (
        "authorization_not_covering",
        ErrorKind.INVALID,
        "The export authorization does not cover every control entry, nation or end user the "
        "release needs.",
    )
    AUTHORIZATION_NOT_NEEDED = (
        "authorization_not_needed",
        ErrorKind.INVALID,
        "A release of content without export-control entries names no export authorization.",
    )
    AUTHORIZATION_PROVISO = (
        "authorization_proviso",
        ErrorKind.INVALID,
        "The release goes beyond a proviso of its export authorization, such as the highest "
        "level it allows.",
    )
    AUTHORIZATION_REQUIRED = (
        "authorization_required",
        ErrorKind.INVALID,
        "Content with export-control entries is released only under the export authorization "
        "that covers it.",
    )
    BAD_PACKAGE_DATA = (
        "bad_package_data",
        ErrorKind.INVALID,
        "A data file shipped with Caveat (control lists, groups) has an unknown schema: the "
        "installation is damaged or mixed.",
    )
    BAD_PROOF_SIZES = (
        "bad_proof_sizes",
        ErrorKind.INVALID,
        "No consistency proof exists between those tree sizes: the old size must be between 1 "
        "and the checkpoint's size.",
    )
    BAD_SCHEME_DATA = (
        "bad_scheme_data",
        ErrorKind.INVALID,
        "Classification scheme data, shipped or supplied, failed validation when it was loaded.",
    )
    BAD_TILE = (
        "bad_tile",
        ErrorKind.INVALID,
        "The ledger tile coordinates are out of range.",
    )
    BUNDLE_INVALID = (
        "bundle_invalid",
        ErrorKind.INVALID,
        "The file is not a well-formed Caveat ledger bundle.",
    )
    CONTRADICTORY_AGREEMENT = (
        "contradictory_agreement",
        ErrorKind.INVALID,
        "The agreement's releasability ceiling leaves out some of its own parties.",
    )
    DATABASE_MISMATCH = (
        "database_mismatch",
        ErrorKind.INVALID,
        "The backup holds another kind of database (SQLite or PostgreSQL) than the restore target.",
    )
    DUAL_USE_REVIEW_REQUIRED = (
        "dual_use_review_required",
        ErrorKind.INVALID,
        "A dual-use item is released only with a recorded dual-use review.",
    )
    DUPLICATE_NATION = (
        "duplicate_nation",
        ErrorKind.INVALID,
        "A list of nations names the same nation twice.",
    )
    EMPTY_GROUP = (
        "empty_group",
        ErrorKind.INVALID,
        "A group needs at least one member nation.",
    )
    EMPTY_LIST = (
        "empty_list",
        ErrorKind.INVALID,
        "The screening list file holds no entries.",
    )
    ENROLMENT_EXPIRED = (
        "enrolment_expired",
        ErrorKind.INVALID,
        "The second-factor enrolment was not confirmed in time; start it again.",
    )
    EVENT_TOO_LARGE = (
        "event_too_large",
        ErrorKind.INVALID,
        "An event cannot be brought under the ledger's entry size limit.",
    )
    EXPIRED_DATES = (
        "expired_dates",
        ErrorKind.INVALID,
        "The dates given would already have expired, or the visit is over.",
    )
    FILE_REQUIRED = (
        "file_required",
        ErrorKind.INVALID,
        "The form needs a file and none was chosen.",
    )
    FILE_TOO_LARGE = (
        "file_too_large",
        ErrorKind.INVALID,
        "An uploaded list file is larger than the form accepts.",
    )
    HASH_MISMATCH = (
        "hash_mismatch",
        ErrorKind.INVALID,
        "The SHA-256 the client declared is not the hash of the content that arrived.",
    )
    HTTP_ERROR = (
        "http_error",
        ErrorKind.INVALID,
        "The web framework refused the request for a reason without a more specific code (such "
        "as a body it could not parse); the HTTP status is the framework's.",
    )
    INSECURE_FILE_MODE = (
        "insecure_file_mode",
        ErrorKind.INVALID,
        "The data directory or database file can be read by other local accounts; restrict its "
        "permissions.",
    )
    INVALID_ACTION = (
        "invalid_action",
        ErrorKind.INVALID,
        "The action named cannot apply a label (only release and relabel decisions do).",
    )
    INVALID_ACTIVITY_KIND = (
        "invalid_activity_kind",
        ErrorKind.INVALID,
        "Capacity building is a course or a placement; another activity kind was given.",
    )
    INVALID_AGREEMENT_ACTION = (
        "invalid_agreement_action",
        ErrorKind.INVALID,
        "The agreement action named is not one Caveat knows.",
    )
    INVALID_AGREEMENT_KIND = (
        "invalid_agreement_kind",
        ErrorKind.INVALID,
        "The agreement kind named is not one Caveat knows.",
    )
    INVALID_AMOUNT = (
        "invalid_amount",
        ErrorKind.INVALID,
        "An amount is not a positive number with at most two decimal places, or it is too large.",
    )
    INVALID_AUTHORIZATION = (
        "invalid_authorization",
        ErrorKind.INVALID,
        "The export authorization breaks a rule of its kind or jurisdiction (for example a "
        "DSP-5 not issued by the USA, or no control entry).",
    )
    INVALID_AUTHORIZATION_ACTION = (
        "invalid_authorization_action",
        ErrorKind.INVALID,
        "The export authorization action named is not one Caveat knows.",
    )
    INVALID_BLOB_KEY = (
        "invalid_blob_key",
        ErrorKind.INVALID,
        "A blob key is not of the form the blob store uses.",
    )
    INVALID_CAVEAT = (
        "invalid_caveat",
        ErrorKind.INVALID,
        "A caveat is written as TAG:VALUE.",
    )
    INVALID_CHANGE = (
        "invalid_change",
        ErrorKind.INVALID,
        "A what-if change lacks a value it needs.",
    )
    INVALID_CLEARANCE = (
        "invalid_clearance",
        ErrorKind.INVALID,
        "A clearance is incomplete or contradictory: it needs its national level name, and is "
        "either given or removed.",
    )
    INVALID_CONTROL_ENTRY = (
        "invalid_control_entry",
        ErrorKind.INVALID,
        "An export-control entry does not follow its regime's numbering, or is not on its list.",
    )
    INVALID_CURRENCY = (
        "invalid_currency",
        ErrorKind.INVALID,
        "A currency is not an ISO 4217 currency code.",
    )
    INVALID_CURSOR = (
        "invalid_cursor",
        ErrorKind.INVALID,
        "A paging cursor did not come from a previous page.",
    )
    INVALID_DATE = (
        "invalid_date",
        ErrorKind.INVALID,
        "A date (or date and time) is missing or not in ISO 8601 form.",
    )
    INVALID_DATES = (
        "invalid_dates",
        ErrorKind.INVALID,
        "A period ends before it starts.",
    )
    INVALID_DISPUTE_TERMS = (
        "invalid_dispute_terms",
        ErrorKind.INVALID,
        "An agreement's dispute-resolution terms are incomplete or name an unknown mechanism.",
    )
    INVALID_DISPUTES = (
        "invalid_disputes",
        ErrorKind.INVALID,
        "The dispute-resolution terms given on the command line are not a JSON object.",
    )
    INVALID_EMAIL = (
        "invalid_email",
        ErrorKind.INVALID,
        "An e-mail address is not valid.",
    )
    MAIL_REFUSED = (
        "mail_refused",
        ErrorKind.INVALID,
        "The SMTP server refused the message for good (a 5xx reply to its sender or recipient);"
        " it is not tried again.",
    )
    MAIL_NOT_CONFIGURED = (
        "mail_not_configured",
        ErrorKind.INVALID,
        "This node sends no mail: set CAVEAT_SMTP_HOST, CAVEAT_SMTP_FROM and CAVEAT_MAIL_BASE_URL.",
    )
    MAIL_MISCONFIGURED = (
        "mail_misconfigured",
        ErrorKind.INVALID,
        "The mail settings are incomplete or unsafe (no From address or web address, a"
        " password without a username, a login without TLS, an unreadable password file).",
    )
    INVALID_EMBARGO = (
        "invalid_embargo",
        ErrorKind.INVALID,
        "An embargo is imposed by one jurisdiction on another, never on itself.",
    )
    INVALID_ENCODING = (
        "invalid_encoding",
        ErrorKind.INVALID,
        "An uploaded text file is not UTF-8.",
    )
    INVALID_EXPIRY = (
        "invalid_expiry",
        ErrorKind.INVALID,
        "An end date is already past, or is given together with open_ended.",
    )
    INVALID_FILENAME = (
        "invalid_filename",
        ErrorKind.INVALID,
        "A file name must be a plain name, without a path.",
    )
    INVALID_FORM = (
        "invalid_form",
        ErrorKind.INVALID,
        "An upload form is not multipart/form-data, or has too many or too long fields.",
    )
    INVALID_FUNDING_KIND = (
        "invalid_funding_kind",
        ErrorKind.INVALID,
        "Funding is a commitment or a contribution; another kind was given.",
    )
    INVALID_GROUP_CODE = (
        "invalid_group_code",
        ErrorKind.INVALID,
        "A group code is malformed, or is a country code.",
    )
    INVALID_IP_TERMS = (
        "invalid_ip_terms",
        ErrorKind.INVALID,
        "An agreement's intellectual-property terms (background, foreground, licences, "
        "publication review) are malformed.",
    )
    INVALID_KEYWORD = (
        "invalid_keyword",
        ErrorKind.INVALID,
        "A keyword is not 1-64 letters, digits or . + / # -, or there are more than 50.",
    )
    INVALID_KIND = (
        "invalid_kind",
        ErrorKind.INVALID,
        "The resource kind named is not one Caveat knows.",
    )
    INVALID_LABEL = (
        "invalid_label",
        ErrorKind.INVALID,
        "A label's structure is wrong: an unknown level, an empty category, or schemes mixed "
        "without a target scheme.",
    )
    INVALID_LEVEL = (
        "invalid_level",
        ErrorKind.INVALID,
        "A classification level on the common scale is 0 (unclassified) to 4 (top secret).",
    )
    INVALID_LIFETIME = (
        "invalid_lifetime",
        ErrorKind.INVALID,
        "An API token lives between one minute and 365 days.",
    )
    INVALID_LIMIT = (
        "invalid_limit",
        ErrorKind.INVALID,
        "A page or batch limit is outside its allowed range.",
    )
    INVALID_LIST_FORMAT = (
        "invalid_list_format",
        ErrorKind.INVALID,
        "The screening list format is unknown, or an extra file does not go with it.",
    )
    INVALID_MARKING = (
        "invalid_marking",
        ErrorKind.INVALID,
        "A security marking breaks the banner syntax or a marking rule; `rule` names the rule "
        "and `position` (banner) or `path` (JSON label) the place, and the CLI and web show a "
        "caret under it.",
    )
    INVALID_MEDIA_TYPE = (
        "invalid_media_type",
        ErrorKind.INVALID,
        "A media type is not of the form type/subtype.",
    )
    INVALID_NAME = (
        "invalid_name",
        ErrorKind.INVALID,
        "A name is empty or too long for what it names.",
    )
    INVALID_NATION = (
        "invalid_nation",
        ErrorKind.INVALID,
        "A nation is not an ISO 3166-1 alpha-3 country code.",
    )
    INVALID_PAGE = (
        "invalid_page",
        ErrorKind.INVALID,
        "A page number is outside the numbered pages of a listing.",
    )
    INVALID_POLICY_CONFIG = (
        "invalid_policy_config",
        ErrorKind.INVALID,
        "A value of the node's policy configuration is out of range.",
    )
    INVALID_PROGRAMME_ROLE = (
        "invalid_programme_role",
        ErrorKind.INVALID,
        "The programme role named is not one Caveat knows.",
    )
    INVALID_PROJECT_ROLE = (
        "invalid_project_role",
        ErrorKind.INVALID,
        "The project role named is not one Caveat knows.",
    )
    INVALID_PURPOSE = (
        "invalid_purpose",
        ErrorKind.INVALID,
        "A visit's purpose needs 3 to 2000 characters.",
    )
    INVALID_QUERY = (
        "invalid_query",
        ErrorKind.INVALID,
        "The search text is too long.",
    )
    INVALID_REGIME = (
        "invalid_regime",
        ErrorKind.INVALID,
        "The export-control regime named is not one Caveat knows.",
    )
    INVALID_RESOLUTION = (
        "invalid_resolution",
        ErrorKind.INVALID,
        "A screening hit is resolved as false_positive or true_match.",
    )
    INVALID_SCREENING_FILE = (
        "invalid_screening_file",
        ErrorKind.INVALID,
        "A screening list file is malformed; `line` and `column` say where.",
    )
    INVALID_SHA256 = (
        "invalid_sha256",
        ErrorKind.INVALID,
        "A SHA-256 is 64 hexadecimal characters.",
    )
    INVALID_SORT = (
        "invalid_sort",
        ErrorKind.INVALID,
        "A listing was asked to sort by a column it cannot sort by.",
    )
    INVALID_SOURCE = (
        "invalid_source",
        ErrorKind.INVALID,
        "An embargo's source needs 3 to 2000 characters.",
    )
    INVALID_SUMMARY = (
        "invalid_summary",
        ErrorKind.INVALID,
        "A summary is longer than 10,000 characters.",
    )
    INVALID_TECHNOLOGY_AREA = (
        "invalid_technology_area",
        ErrorKind.INVALID,
        "A technology area needs 2 to 200 characters.",
    )
    INVALID_TICKET = (
        "invalid_ticket",
        ErrorKind.INVALID,
        "The second-factor enrolment ticket is not valid.",
    )
    INVALID_TITLE = (
        "invalid_title",
        ErrorKind.INVALID,
        "A title is empty, too long, or holds characters that do not print.",
    )
    INVALID_UPLOAD = (
        "invalid_upload",
        ErrorKind.INVALID,
        "An upload gives neither a new artifact's full metadata nor an existing artifact's id "
        "(or both).",
    )
    MENTION_REFUSED = (
        "mention_refused",
        ErrorKind.INVALID,
        "A message may mention only people who may read it; the one named may not (or is not "
        "known here: the answer is the same). Remove the mention or post a message they may "
        "read.",
    )
    INVALID_USERNAME = (
        "invalid_username",
        ErrorKind.INVALID,
        "A username is not valid.",
    )
    INVALID_VISIT = (
        "invalid_visit",
        ErrorKind.INVALID,
        "A visit is to an organisation other than the visitor's own.",
    )
    INVALID_WORK_SHARE = (
        "invalid_work_share",
        ErrorKind.INVALID,
        "A work share is not 0-100 % with at most two decimals, or the shares do not add up.",
    )
    INVISIBLE_CHARACTER = (
        "invisible_character",
        ErrorKind.INVALID,
        "A name holds an invisible character that could hide what it says.",
    )
    KEK_PRIMARY = (
        "kek_primary",
        ErrorKind.INVALID,
        "The primary key-encryption key cannot be disabled; rotate to a new one first.",
    )
    LABEL_REQUIRED = (
        "label_required",
        ErrorKind.INVALID,
        "A label is needed and none was given (or both a marking and a label were).",
    )
    LABEL_TOO_LARGE = (
        "label_too_large",
        ErrorKind.INVALID,
        "A label's canonical JSON is larger than the node accepts.",
    )
    LEAF_OUT_OF_RANGE = (
        "leaf_out_of_range",
        ErrorKind.INVALID,
        "A ledger leaf index is outside the checkpointed tree.",
    )
    LOG_KEY_TYPE = (
        "log_key_type",
        ErrorKind.INVALID,
        "A witnessed log's key must be an Ed25519 (type 0x01) note key.",
    )
    MALFORMED_JSON = (
        "malformed_json",
        ErrorKind.INVALID,
        "The request body is not valid JSON.",
    )
    METHOD_NOT_ALLOWED = (
        "method_not_allowed",
        ErrorKind.INVALID,
        "The endpoint does not answer this HTTP method.",
    )
    NAIVE_TIME = (
        "naive_time",
        ErrorKind.INVALID,
        "A time has no time zone; Caveat works with timezone-aware times only.",
    )
    NATIONALITY_REQUIRED = (
        "nationality_required",
        ErrorKind.INVALID,
        "A person needs at least one nationality.",
    )
    NO_CHANGES = (
        "no_changes",
        ErrorKind.INVALID,
        "A what-if question needs at least one change.",
    )
    NO_SCOPE = (
        "no_scope",
        ErrorKind.INVALID,
        "An API token needs at least one scope.",
    )
    NOT_A_PARTICIPANT = (
        "not_a_participant",
        ErrorKind.INVALID,
        "The organisation does not take part in the programme.",
    )
    NOT_A_SESSION = (
        "not_a_session",
        ErrorKind.INVALID,
        "The action needs a signed-in session, not an API token (signing out, stepping up).",
    )
    NOTE_KEY_INVALID = (
        "note_key_invalid",
        ErrorKind.INVALID,
        "A key name, verifier key or signer key in note format is malformed.",
    )
    NOTHING_TO_CHANGE = (
        "nothing_to_change",
        ErrorKind.INVALID,
        "The request names nothing to change.",
    )
    ORIGINATOR_MISMATCH = (
        "originator_mismatch",
        ErrorKind.INVALID,
        "The label names an originator of another nation than the originating organisation.",
    )
    ORIGINATOR_REQUIRED = (
        "originator_required",
        ErrorKind.INVALID,
        "The originating organisation must be named.",
    )
    PASSWORD_UNCHANGED = (
        "password_unchanged",
        ErrorKind.INVALID,
        "The new password must differ from the current one.",
    )
    PERSON_REQUIRED = (
        "person_required",
        ErrorKind.INVALID,
        "A placement names the person placed.",
    )
    RANGE_NOT_SATISFIABLE = (
        "range_not_satisfiable",
        ErrorKind.INVALID,
        "The byte range asked for lies outside the content.",
    )
    REASON_REQUIRED = (
        "reason_required",
        ErrorKind.INVALID,
        "A decision or change needs a reason of 3 to 2000 characters.",
    )
    RELEASE_RECIPIENTS_REQUIRED = (
        "release_recipients_required",
        ErrorKind.INVALID,
        "A release request names the nations or organisations it is for.",
    )
    ROLES_REQUIRED = (
        "roles_required",
        ErrorKind.INVALID,
        "A person needs at least one role.",
    )
    SHA256_REQUIRED = (
        "sha256_required",
        ErrorKind.INVALID,
        "Completing an upload needs the content's SHA-256.",
    )
    SIZE_MISMATCH = (
        "size_mismatch",
        ErrorKind.INVALID,
        "The content's size is not the size the client declared.",
    )
    UNKNOWN_CODE = (
        "unknown_code",
        ErrorKind.INVALID,
        "A releasability code is neither a country code nor a known group.",
    )
    UNKNOWN_EVENT_TYPE = (
        "unknown_event_type",
        ErrorKind.INVALID,
        "The event type named is not one Caveat records.",
    )
    UNKNOWN_LEVEL = (
        "unknown_level",
        ErrorKind.INVALID,
        "The classification scheme has no such level.",
    )
    UNKNOWN_SCHEME = (
        "unknown_scheme",
        ErrorKind.INVALID,
        "A label names a classification scheme Caveat does not know.",
    )
    UNLABELLED_AGREEMENT_TEXT = (
        "unlabelled_agreement_text",
        ErrorKind.INVALID,
        "An agreement's text must carry a security label.",
    )
    UNREADABLE_FILE = (
        "unreadable_file",
        ErrorKind.INVALID,
        "A file named on the command line cannot be read.",
    )
    UNSUPPORTED_BLOB_STORE = (
        "unsupported_blob_store",
        ErrorKind.INVALID,
        "Backups copy local blobs only; back up an S3 bucket with its own versioning and "
        "replication.",
    )
    UNSUPPORTED_MEDIA_TYPE = (
        "unsupported_media_type",
        ErrorKind.INVALID,
        "The request body is not JSON; artifact content goes to the upload endpoints.",
    )
    WEAK_PASSPHRASE = (
        "weak_passphrase",
        ErrorKind.INVALID,
        "The backup passphrase is too short.",
    )
    WEAK_PASSWORD = (
        "weak_password",
        ErrorKind.INVALID,
        "The new password is too short, too long or too easy to guess.",
    )
    WITNESS_BAD_PROOF = (
        "witness_bad_proof",
        ErrorKind.INVALID,
        "A log's consistency proof does not verify: the log forked or lied (POST "
        "/add-checkpoint answers 422 in plain text).",
    )
    WITNESS_BAD_REQUEST = (
        "witness_bad_request",
        ErrorKind.INVALID,
        "An add-checkpoint request is malformed (POST /add-checkpoint answers 400 in plain text).",
    )
    WITNESS_KEY_TYPE = (
        "witness_key_type",
        ErrorKind.INVALID,
        "A witness key must be a cosignature/v1 (type 0x04) key.",
    )
    WITNESS_KEYS_NEEDED = (
        "witness_keys_needed",
        ErrorKind.INVALID,
        "More cosignatures are required than witness keys are pinned; only cosignatures of "
        "pinned keys count.",
    )

    INVALID_EFFORT = (
        "invalid_effort",
        ErrorKind.INVALID,
        "Planned effort is a number of person-months from 0 up, with at most one decimal.",
    )
    WORK_SHARE_OVER_AGREEMENT = (
        "work_share_over_agreement",
        ErrorKind.INVALID,
        "The plan would give a partner a larger share of the work than the programme's "
        "agreement gives it (`data.partners` names them); change the efforts, or flag the "
        "excess (`exceed_agreement`) so that it is recorded in the ledger.",
    )
    ASSIGNEE_REFUSED = (
        "assignee_refused",
        ErrorKind.INVALID,
        "A task is assigned only to a current member of the project who may read it; the one "
        "named is not (or is not known here: the answer is the same).",
    )
    ARTIFACT_NOT_IN_PROJECT = (
        "artifact_not_in_project",
        ErrorKind.INVALID,
        "A deliverable is delivered by an artifact of its own project.",
    )
    # --- TOO_LARGE: the input is bigger than the node accepts
    BODY_TOO_LARGE = (
        "body_too_large",
        ErrorKind.TOO_LARGE,
        "The request body is larger than the endpoint accepts.",
    )
    CONTENT_TOO_LARGE = (
        "content_too_large",
        ErrorKind.TOO_LARGE,
        "The content grew past the node's size limit while it streamed in; nothing was stored.",
    )

    # --- NOT_FOUND: no such thing (or it may not be revealed)
    NOT_FOUND = (
        "not_found",
        ErrorKind.NOT_FOUND,
        "No such thing, or you may not learn that it exists; also an unknown URL.",
    )
    ALERT_NOT_FOUND = (
        "alert_not_found",
        ErrorKind.NOT_FOUND,
        "No such alert.",
    )
    CHECKPOINT_NOT_FOUND = (
        "checkpoint_not_found",
        ErrorKind.NOT_FOUND,
        "No ledger checkpoint at that tree size.",
    )
    ENTRY_NOT_FOUND = (
        "entry_not_found",
        ErrorKind.NOT_FOUND,
        "No ledger entry at that index, or the event is not in the ledger yet.",
    )
    NO_DEMO = (
        "no_demo",
        ErrorKind.NOT_FOUND,
        "This data directory holds no demo node.",
    )
    TILE_NOT_FOUND = (
        "tile_not_found",
        ErrorKind.NOT_FOUND,
        "No such ledger tile or entry bundle (yet).",
    )
    UNKNOWN_AGREEMENT = (
        "unknown_agreement",
        ErrorKind.NOT_FOUND,
        "No such agreement.",
    )
    UNKNOWN_DISCUSSION = (
        "unknown_discussion",
        ErrorKind.NOT_FOUND,
        "No such discussion, or none you may read (its title, its project or its artifact).",
    )
    UNKNOWN_DISCUSSION_MESSAGE = (
        "unknown_discussion_message",
        ErrorKind.NOT_FOUND,
        "No such message in the discussion, or none you may read.",
    )
    UNKNOWN_ARTIFACT = (
        "unknown_artifact",
        ErrorKind.NOT_FOUND,
        "No such artifact.",
    )
    UNKNOWN_AUTHORIZATION = (
        "unknown_authorization",
        ErrorKind.NOT_FOUND,
        "No such export authorization.",
    )
    UNKNOWN_CAVEAT = (
        "unknown_caveat",
        ErrorKind.NOT_FOUND,
        "The person does not hold that caveat.",
    )
    UNKNOWN_EMBARGO = (
        "unknown_embargo",
        ErrorKind.NOT_FOUND,
        "No such embargo.",
    )
    UNKNOWN_GRANT = (
        "unknown_grant",
        ErrorKind.NOT_FOUND,
        "No such grant on this resource.",
    )
    UNKNOWN_GROUP = (
        "unknown_group",
        ErrorKind.NOT_FOUND,
        "No such group of nations.",
    )
    UNKNOWN_HIT = (
        "unknown_hit",
        ErrorKind.NOT_FOUND,
        "No such screening hit.",
    )
    UNKNOWN_MEMBER = (
        "unknown_member",
        ErrorKind.NOT_FOUND,
        "The person is not a member of the project.",
    )
    UNKNOWN_ORGANISATION = (
        "unknown_organisation",
        ErrorKind.NOT_FOUND,
        "No organisation with that id or name.",
    )
    UNKNOWN_PERSON = (
        "unknown_person",
        ErrorKind.NOT_FOUND,
        "No person (or demo account) with that name or id.",
    )
    UNKNOWN_PROGRAMME = (
        "unknown_programme",
        ErrorKind.NOT_FOUND,
        "No such programme.",
    )
    UNKNOWN_PROJECT = (
        "unknown_project",
        ErrorKind.NOT_FOUND,
        "No such project (in this programme).",
    )
    UNKNOWN_READON = (
        "unknown_readon",
        ErrorKind.NOT_FOUND,
        "No such read-on request.",
    )
    UNKNOWN_RELABEL = (
        "unknown_relabel",
        ErrorKind.NOT_FOUND,
        "No such relabel request.",
    )
    UNKNOWN_RELEASE = (
        "unknown_release",
        ErrorKind.NOT_FOUND,
        "No such release request.",
    )
    UNKNOWN_RESOURCE = (
        "unknown_resource",
        ErrorKind.NOT_FOUND,
        "No such resource in the catalogue.",
    )
    UNKNOWN_TOKEN = (
        "unknown_token",
        ErrorKind.NOT_FOUND,
        "No such API token.",
    )
    UNKNOWN_UPLOAD = (
        "unknown_upload",
        ErrorKind.NOT_FOUND,
        "No such upload session of yours.",
    )
    UNKNOWN_VERSION = (
        "unknown_version",
        ErrorKind.NOT_FOUND,
        "The artifact has no such version.",
    )
    UNKNOWN_VISIT = (
        "unknown_visit",
        ErrorKind.NOT_FOUND,
        "No such visit request.",
    )
    UNKNOWN_WITNESS = (
        "unknown_witness",
        ErrorKind.NOT_FOUND,
        "No witness with that name.",
    )
    UPLOAD_EXPIRED = (
        "upload_expired",
        ErrorKind.NOT_FOUND,
        "The upload session has expired; start the upload again.",
    )
    WITNESS_UNKNOWN_LOG = (
        "witness_unknown_log",
        ErrorKind.NOT_FOUND,
        "The checkpoint's origin is not a log this node witnesses (POST /add-checkpoint answers"
        " 404 in plain text).",
    )

    UNKNOWN_PLAN_ITEM = (
        "unknown_plan_item",
        ErrorKind.NOT_FOUND,
        "No such work package, task, milestone or deliverable, or none you may read.",
    )
    UNKNOWN_NOTIFICATION = (
        "unknown_notification",
        ErrorKind.NOT_FOUND,
        "No such notification of yours (another person's answers exactly as a missing one).",
    )
    # --- CONFLICT: the change clashes with existing state
    CONFLICT = (
        "conflict",
        ErrorKind.CONFLICT,
        "The change clashes with existing state, such as a name that is taken.",
    )
    AGREEMENT_CLOSED = (
        "agreement_closed",
        ErrorKind.CONFLICT,
        "The agreement is terminated or expired and can no longer be changed.",
    )
    DEMO_INCOMPLETE = (
        "demo_incomplete",
        ErrorKind.CONFLICT,
        "The directory holds part of a federated demo whose seeding did not finish; remove it "
        "and run the demo again.",
    )
    ALERT_ACKNOWLEDGED = (
        "alert_acknowledged",
        ErrorKind.CONFLICT,
        "The alert is already acknowledged.",
    )
    ALREADY_RELEASABLE = (
        "already_releasable",
        ErrorKind.CONFLICT,
        "The resource is already releasable to every nation named.",
    )
    AMBIGUOUS_REFERENCE = (
        "ambiguous_reference",
        ErrorKind.CONFLICT,
        "The name matches more than one thing; use its id.",
    )
    AUTHORIZATION_NOT_IN_FORCE = (
        "authorization_not_in_force",
        ErrorKind.CONFLICT,
        "The export authorization is not in force (suspended, revoked or expired).",
    )
    CONFUSABLE_NAME = (
        "confusable_name",
        ErrorKind.CONFLICT,
        "The name could be mistaken for an existing one (letters that look alike).",
    )
    DUPLICATE_AGREEMENT = (
        "duplicate_agreement",
        ErrorKind.CONFLICT,
        "An agreement with that name exists.",
    )
    DUPLICATE_AUTHORIZATION = (
        "duplicate_authorization",
        ErrorKind.CONFLICT,
        "That export authorization is already recorded.",
    )
    DUPLICATE_CAVEAT = (
        "duplicate_caveat",
        ErrorKind.CONFLICT,
        "The person already holds that caveat.",
    )
    DUPLICATE_GRANT = (
        "duplicate_grant",
        ErrorKind.CONFLICT,
        "The person already holds that grant.",
    )
    DUPLICATE_GROUP = (
        "duplicate_group",
        ErrorKind.CONFLICT,
        "A group with that code exists already.",
    )
    DUPLICATE_LEAD = (
        "duplicate_lead",
        ErrorKind.CONFLICT,
        "The programme already has a lead organisation.",
    )
    DUPLICATE_LOG = (
        "duplicate_log",
        ErrorKind.CONFLICT,
        "That log is already witnessed.",
    )
    DUPLICATE_MEMBER = (
        "duplicate_member",
        ErrorKind.CONFLICT,
        "The person is already a member of the project.",
    )
    DUPLICATE_ORGANISATION = (
        "duplicate_organisation",
        ErrorKind.CONFLICT,
        "An organisation with that name exists.",
    )
    DUPLICATE_PROGRAMME = (
        "duplicate_programme",
        ErrorKind.CONFLICT,
        "A programme with that name exists.",
    )
    DUPLICATE_PROJECT = (
        "duplicate_project",
        ErrorKind.CONFLICT,
        "A project with that name exists.",
    )
    DUPLICATE_READON = (
        "duplicate_readon",
        ErrorKind.CONFLICT,
        "A read-on of that person to that caveat is already waiting for a decision.",
    )
    DUPLICATE_USERNAME = (
        "duplicate_username",
        ErrorKind.CONFLICT,
        "The username is taken.",
    )
    DUPLICATE_WITNESS = (
        "duplicate_witness",
        ErrorKind.CONFLICT,
        "A witness with that name exists.",
    )
    EMBARGO_ALREADY_ENDED = (
        "embargo_already_ended",
        ErrorKind.CONFLICT,
        "The embargo already ends on or before that day.",
    )
    HIT_ALREADY_RESOLVED = (
        "hit_already_resolved",
        ErrorKind.CONFLICT,
        "The screening hit was already resolved.",
    )
    INVALID_AGREEMENT_TRANSITION = (
        "invalid_agreement_transition",
        ErrorKind.CONFLICT,
        "The agreement is not in a state that allows this move.",
    )
    INVALID_AUTHORIZATION_TRANSITION = (
        "invalid_authorization_transition",
        ErrorKind.CONFLICT,
        "The export authorization is not in a state that allows this move.",
    )
    INVALID_TRANSITION = (
        "invalid_transition",
        ErrorKind.CONFLICT,
        "The record's current state does not allow this move; `allowed` lists the moves it "
        "does (most lifecycles answer with a code of their own).",
    )
    KEK_IN_USE = (
        "kek_in_use",
        ErrorKind.CONFLICT,
        "Those key-encryption keys still wrap data keys; rewrap before removing them.",
    )
    LABEL_MISMATCH = (
        "label_mismatch",
        ErrorKind.CONFLICT,
        "The catalogue and the signed label would disagree; nothing was signed.",
    )
    NODE_EXISTS = (
        "node_exists",
        ErrorKind.CONFLICT,
        "The database already holds a node.",
    )
    NODE_ORGANISATION_SET = (
        "node_organisation_set",
        ErrorKind.CONFLICT,
        "The organisation operating this node is recorded already; it is set once.",
    )
    OVERLAPPING_AGREEMENT = (
        "overlapping_agreement",
        ErrorKind.CONFLICT,
        "An agreement of the same kind between the same parties already covers some of the same"
        " programmes or projects.",
    )
    OVERLAPPING_EMBARGO = (
        "overlapping_embargo",
        ErrorKind.CONFLICT,
        "An embargo by the same jurisdiction on the same nation and regime already covers part "
        "of that period.",
    )
    PASSWORD_CHANGED_MEANWHILE = (
        "password_changed_meanwhile",
        ErrorKind.CONFLICT,
        "The password was changed by another session meanwhile; sign in again.",
    )
    PROJECT_IN_PROGRAMME = (
        "project_in_programme",
        ErrorKind.CONFLICT,
        "The project already belongs to a programme.",
    )
    READON_DECIDED = (
        "readon_decided",
        ErrorKind.CONFLICT,
        "The read-on request was already decided.",
    )
    RELABEL_DECIDED = (
        "relabel_decided",
        ErrorKind.CONFLICT,
        "The relabel request was already decided.",
    )
    RELABEL_STALE = (
        "relabel_stale",
        ErrorKind.CONFLICT,
        "The label changed since the relabel was requested; applying it now would loosen it.",
    )
    RELEASE_DECIDED = (
        "release_decided",
        ErrorKind.CONFLICT,
        "The release request was already decided.",
    )
    RELEASE_NOT_CLASSIFIED = (
        "release_not_classified",
        ErrorKind.CONFLICT,
        "Export control has not classified the release yet.",
    )
    RELEASE_NOT_PENDING = (
        "release_not_pending",
        ErrorKind.CONFLICT,
        "The release request is not waiting for this step.",
    )
    SYNC_RUNNING = (
        "sync_running",
        ErrorKind.CONFLICT,
        "Another process is syncing with this peer now; its outcome shows on the link when it "
        "ends.",
    )
    TARGET_NOT_EMPTY = (
        "target_not_empty",
        ErrorKind.CONFLICT,
        "The restore target (database or directory) is not empty.",
    )
    UPLOAD_OFFSET_MISMATCH = (
        "upload_offset_mismatch",
        ErrorKind.CONFLICT,
        "An append does not start where the upload stands; ask for the upload's offset and "
        "resume from there.",
    )
    VISIT_DECIDED = (
        "visit_decided",
        ErrorKind.CONFLICT,
        "The visit request was already decided.",
    )
    WITNESS_OLD_SIZE_MISMATCH = (
        "witness_old_size_mismatch",
        ErrorKind.CONFLICT,
        "The log's old size is not the size this witness last cosigned (POST /add-checkpoint "
        "answers 409 with the size).",
    )
    WITNESS_ROOT_MISMATCH = (
        "witness_root_mismatch",
        ErrorKind.CONFLICT,
        "The log repeats a cosigned size with another root hash: a fork (POST /add-checkpoint "
        "answers 409).",
    )

    TASK_CLOSED = (
        "task_closed",
        ErrorKind.CONFLICT,
        "The task is done or cancelled, or the move is not allowed from its status.",
    )
    DELIVERABLE_CLOSED = (
        "deliverable_closed",
        ErrorKind.CONFLICT,
        "The deliverable is already delivered or cancelled.",
    )
    MILESTONE_ACHIEVED = (
        "milestone_achieved",
        ErrorKind.CONFLICT,
        "The milestone is already marked achieved.",
    )
    # --- UNAUTHENTICATED: no valid credentials
    AUTHENTICATION_FAILED = (
        "authentication_failed",
        ErrorKind.UNAUTHENTICATED,
        "Credentials, a session or a token are missing, wrong or expired.",
    )
    ACCOUNT_SUSPENDED = (
        "account_suspended",
        ErrorKind.UNAUTHENTICATED,
        "The account is suspended.",
    )
    BAD_CREDENTIALS = (
        "bad_credentials",
        ErrorKind.UNAUTHENTICATED,
        "The username, password or one-time code is wrong.",
    )
    INVALID_SESSION = (
        "invalid_session",
        ErrorKind.UNAUTHENTICATED,
        "The session is not valid; sign in again.",
    )
    INVALID_TOKEN = (
        "invalid_token",
        ErrorKind.UNAUTHENTICATED,
        "The API token (or credential) is not valid.",
    )
    NOT_AUTHENTICATED = (
        "not_authenticated",
        ErrorKind.UNAUTHENTICATED,
        "The request carries no credentials; sign in or send a token.",
    )
    NOT_LOGGED_IN = (
        "not_logged_in",
        ErrorKind.UNAUTHENTICATED,
        "The CLI is not signed in to a Caveat server; run `caveat login`.",
    )
    SESSION_ENDED = (
        "session_ended",
        ErrorKind.UNAUTHENTICATED,
        "The session has ended (signed out or revoked); sign in again.",
    )
    SESSION_EXPIRED = (
        "session_expired",
        ErrorKind.UNAUTHENTICATED,
        "The session reached its maximum age; sign in again.",
    )
    SESSION_IDLE = (
        "session_idle",
        ErrorKind.UNAUTHENTICATED,
        "The session timed out after inactivity; sign in again.",
    )
    TOKEN_EXPIRED = (
        "token_expired",
        ErrorKind.UNAUTHENTICATED,
        "The API token has expired.",
    )
    TOKEN_REVOKED = (
        "token_revoked",
        ErrorKind.UNAUTHENTICATED,
        "The API token was revoked.",
    )
    TOTP_REJECTED = (
        "totp_rejected",
        ErrorKind.UNAUTHENTICATED,
        "The one-time code is wrong, outside its time window, or already used.",
    )

    # --- DENIED: authenticated, but not allowed
    PERMISSION_DENIED = (
        "permission_denied",
        ErrorKind.DENIED,
        "You are signed in but may not do this.",
    )
    CSRF_HEADER_MISSING = (
        "csrf_header_missing",
        ErrorKind.DENIED,
        "A change authenticated by cookie needs the X-Requested-With header.",
    )
    CROSS_ORIGIN_REFUSED = (
        "cross_origin_refused",
        ErrorKind.DENIED,
        "A WebSocket handshake from another origin (or a cookie-authenticated one without "
        "an Origin) is refused: browsers connect from the node's own pages only.",
    )
    CSRF_REJECTED = (
        "csrf_rejected",
        ErrorKind.DENIED,
        "The form was not sent with the token of the session that served it; reload the page.",
    )
    EDIT_LOOSENS_LABEL = (
        "edit_loosens_label",
        ErrorKind.DENIED,
        "An edit (of a message, or a laboratory's replaced proficiency result) keeps the "
        "label or tightens it; a looser label is a release and goes through the release "
        "workflow.",
    )
    LABEL_ABOVE_READER = (
        "label_above_reader",
        ErrorKind.DENIED,
        "You may not create content labelled above what you may read yourself.",
    )
    NO_EQUIVALENT_LEVEL = (
        "no_equivalent_level",
        ErrorKind.DENIED,
        "The level has no equivalent in the receiving nation's scheme, and the rule for that is"
        " to deny.",
    )
    NO_RETRANSFER = (
        "no_retransfer",
        ErrorKind.DENIED,
        "The content was received under an export authorization that forbids passing it on.",
    )
    NO_RULE = (
        "no_rule",
        ErrorKind.DENIED,
        "No permission rule allows the action (it is denied by default).",
    )
    NOT_A_PARTY = (
        "not_a_party",
        ErrorKind.DENIED,
        "Agreements are changed by their parties only.",
    )
    NOT_ORIGINATOR = (
        "not_originator",
        ErrorKind.DENIED,
        "Marking is the originating organisation's decision.",
    )
    NOT_PROJECT_MEMBER = (
        "not_project_member",
        ErrorKind.DENIED,
        "You are not a member of the project.",
    )
    PASSWORD_CHANGE_REQUIRED = (
        "password_change_required",
        ErrorKind.DENIED,
        "The one-time password must be changed before anything else.",
    )
    POLICY_DENIED = (
        "policy_denied",
        ErrorKind.DENIED,
        "The access policy or a role rule refuses it; `failed` or `rule` says which requirement.",
    )
    ROLE_MISSING = (
        "role_missing",
        ErrorKind.DENIED,
        "The action needs a role you do not hold.",
    )
    SCOPE_MISSING = (
        "scope_missing",
        ErrorKind.DENIED,
        "The API token lacks the scope the action needs (or a token cannot hold a scope its "
        "creator lacks).",
    )
    SELF_CHANGE = (
        "self_change",
        ErrorKind.DENIED,
        "Nobody decides on their own request or changes the facts that decide their own access.",
    )
    STEP_UP_REQUIRED = (
        "step_up_required",
        ErrorKind.DENIED,
        "Credentials change only with a second factor proved in the last 15 minutes; prove it "
        "again.",
    )
    WITNESS_BAD_SIGNATURE = (
        "witness_bad_signature",
        ErrorKind.DENIED,
        "The log's own signature on the checkpoint is missing or wrong (POST /add-checkpoint "
        "answers 403 in plain text).",
    )

    # --- THROTTLED: too many failures for now
    THROTTLED = (
        "throttled",
        ErrorKind.THROTTLED,
        "Too many failures lock an account or a client address for a while.",
    )
    ACCOUNT_LOCKED = (
        "account_locked",
        ErrorKind.THROTTLED,
        "The account is locked after repeated failures until a node operator unlocks it.",
    )
    ACCOUNT_THROTTLED = (
        "account_throttled",
        ErrorKind.THROTTLED,
        "Too many failed sign-ins to this account; `retry_after` says when to try again.",
    )
    ADDRESS_THROTTLED = (
        "address_throttled",
        ErrorKind.THROTTLED,
        "Too many failed sign-ins from this address; `retry_after` says when to try again.",
    )

    # --- UNAVAILABLE: a dependency is down or missing
    SERVICE_UNAVAILABLE = (
        "service_unavailable",
        ErrorKind.UNAVAILABLE,
        "A dependency such as the database cannot be reached; try again shortly.",
    )
    BACKUP_TOOL_FAILED = (
        "backup_tool_failed",
        ErrorKind.UNAVAILABLE,
        "The pg_dump or pg_restore tool failed; its own message is attached.",
    )
    DATABASE_UNAVAILABLE = (
        "database_unavailable",
        ErrorKind.UNAVAILABLE,
        "The database cannot be reached or is too busy; try again shortly.",
    )
    MAIL_UNAVAILABLE = (
        "mail_unavailable",
        ErrorKind.UNAVAILABLE,
        "The SMTP server could not be reached, TLS or the login failed, or it asked to try"
        " later; a notification's mail is tried again.",
    )
    KEK_MISSING = (
        "kek_missing",
        ErrorKind.UNAVAILABLE,
        "The key-encryption key file is not in the data directory.",
    )
    KEY_MISSING = (
        "key_missing",
        ErrorKind.UNAVAILABLE,
        "A node key file is missing from the data directory.",
    )
    NODE_NOT_INITIALISED = (
        "node_not_initialised",
        ErrorKind.UNAVAILABLE,
        "The database has the schema but no node; run `caveat init`.",
    )
    SCHEMA_NOT_CURRENT = (
        "schema_not_current",
        ErrorKind.UNAVAILABLE,
        "The database is empty, or behind or ahead of this version of Caveat: run `caveat db "
        "upgrade`, or upgrade Caveat.",
    )
    SERVER_UNREACHABLE = (
        "server_unreachable",
        ErrorKind.UNAVAILABLE,
        "The CLI cannot reach the Caveat server, or the connection broke.",
    )
    STORAGE_FAILED = (
        "storage_failed",
        ErrorKind.UNAVAILABLE,
        "The blob store failed; nothing was stored.",
    )
    STORAGE_FULL = (
        "storage_full",
        ErrorKind.UNAVAILABLE,
        "The blob store has no space left; nothing was stored.",
    )

    # --- INTEGRITY: stored data failed a cryptographic or consistency check
    INTEGRITY_FAILURE = (
        "integrity_failure",
        ErrorKind.INTEGRITY,
        "Stored data failed a cryptographic or consistency check.",
    )
    BACKUP_INCOMPLETE = (
        "backup_incomplete",
        ErrorKind.INTEGRITY,
        "A backup has no manifest, or its files do not match the manifest.",
    )
    BAD_KEY = (
        "bad_key",
        ErrorKind.INTEGRITY,
        "A key file or wrapped key is malformed or of the wrong type.",
    )
    BINDING_INVALID = (
        "binding_invalid",
        ErrorKind.INTEGRITY,
        "A label binding's signature does not verify: a row or blob was changed.",
    )
    BLOB_MISSING = (
        "blob_missing",
        ErrorKind.INTEGRITY,
        "A blob a database row points at is not in the blob store.",
    )
    CHECKPOINT_INVALID = (
        "checkpoint_invalid",
        ErrorKind.INTEGRITY,
        "A received checkpoint is malformed, not signed by its log, or for another log.",
    )
    CONTENT_CORRUPT = (
        "content_corrupt",
        ErrorKind.INTEGRITY,
        "Stored or downloaded content fails authenticated decryption or its signed SHA-256.",
    )
    DOWNLOAD_INCOMPLETE = (
        "download_incomplete",
        ErrorKind.INTEGRITY,
        "A download ended before all of the content arrived.",
    )
    INSECURE_KEY_FILE = (
        "insecure_key_file",
        ErrorKind.INTEGRITY,
        "A key file can be read or written by other users.",
    )
    KEYS_UNSEAL_FAILED = (
        "keys_unseal_failed",
        ErrorKind.INTEGRITY,
        "Sealed keys in a backup do not open: a wrong passphrase, another node, or an edit.",
    )
    LEDGER_NODE_MISSING = (
        "ledger_node_missing",
        ErrorKind.INTEGRITY,
        "A subtree hash the tree size promises is not stored: the ledger is damaged.",
    )
    LEDGER_TAMPERED = (
        "ledger_tampered",
        ErrorKind.INTEGRITY,
        "The ledger is inconsistent with itself or its checkpoints.",
    )
    MARKING_INCOMPLETE = (
        "marking_incomplete",
        ErrorKind.INTEGRITY,
        "A download's content could not be rolled up into one marking (a label that cannot be "
        "read, or one the reader's scheme cannot write); the file is refused rather than "
        "under-marked.",
    )
    MERKLE_PROOF_INVALID = (
        "merkle_proof_invalid",
        ErrorKind.INTEGRITY,
        "An inclusion or consistency proof is malformed or does not verify.",
    )
    RESTORE_REFUSED = (
        "restore_refused",
        ErrorKind.INTEGRITY,
        "The restored ledger does not verify, or does not match the backup's manifest.",
    )
    SIGNED_NOTE_INVALID = (
        "signed_note_invalid",
        ErrorKind.INTEGRITY,
        "A signed note is malformed, or no trusted signature on it verifies.",
    )
    UNSEAL_FAILED = (
        "unseal_failed",
        ErrorKind.INTEGRITY,
        "A sealed value is malformed, altered, or sealed under another key.",
    )

    # -- standardized test and evaluation (issue 19)
    UNKNOWN_PROCEDURE = (
        "unknown_procedure",
        ErrorKind.NOT_FOUND,
        "No such test procedure or procedure version (or none you may see).",
    )
    UNKNOWN_ROUND = (
        "unknown_round",
        ErrorKind.NOT_FOUND,
        "No such proficiency round (or none you may see: rounds are their project's).",
    )
    UNKNOWN_SUBMISSION = (
        "unknown_submission",
        ErrorKind.NOT_FOUND,
        "No such proficiency result (or none you may read: another laboratory's stays "
        "blind until the round closes).",
    )
    UNKNOWN_PLOT = (
        "unknown_plot",
        ErrorKind.NOT_FOUND,
        "The round has no such plot: no item of that id, a kind other than results, scores, "
        "mandel or density, or a round not closed yet.",
    )
    UNKNOWN_ROUND_LABORATORY = (
        "unknown_round_laboratory",
        ErrorKind.NOT_FOUND,
        "The round has no laboratory of that code, or none whose results you may read "
        "(a report of one laboratory names it by its code: L01, L02, ...).",
    )
    UNKNOWN_ROUND_ITEM = (
        "unknown_round_item",
        ErrorKind.INVALID,
        "The round has no item of that name; `field` (and the row, in a file) says where.",
    )
    UNKNOWN_UNIT = (
        "unknown_unit",
        ErrorKind.INVALID,
        "The unit is not one Caveat's unit library (pint) knows; `field` names it.",
    )
    INCOMPATIBLE_UNIT = (
        "incompatible_unit",
        ErrorKind.INVALID,
        "The unit reported measures another quantity than the procedure's unit (or is not "
        "linear), so it cannot be converted; `field` names it.",
    )
    INVALID_RESULTS_FILE = (
        "invalid_results_file",
        ErrorKind.INVALID,
        "A results file (CSV or XLSX) was refused whole: `errors` lists each row and column "
        "at fault; nothing was submitted.",
    )
    NOT_A_ROUND_LABORATORY = (
        "not_a_round_laboratory",
        ErrorKind.DENIED,
        "Your organisation is not a laboratory of this round; only participants submit.",
    )
    COORDINATOR_NOT_MEMBER = (
        "coordinator_not_member",
        ErrorKind.INVALID,
        "A round's coordinator must be a current member of the round's project.",
    )
    DUPLICATE_PROCEDURE = (
        "duplicate_procedure",
        ErrorKind.CONFLICT,
        "The project has a procedure of that name; a change is a new version of it.",
    )
    PROCEDURE_NOT_APPROVED = (
        "procedure_not_approved",
        ErrorKind.CONFLICT,
        "A round follows an approved procedure version; this one is a draft or superseded.",
    )
    PROCEDURE_NOT_DRAFT = (
        "procedure_not_draft",
        ErrorKind.CONFLICT,
        "Only a draft procedure version is approved; this one is approved or superseded.",
    )
    ROUND_NOT_OPEN = (
        "round_not_open",
        ErrorKind.CONFLICT,
        "The round is closed or cancelled: it takes no more results and cannot move again.",
    )
    DEADLINE_PASSED = (
        "deadline_passed",
        ErrorKind.CONFLICT,
        "The round's deadline for results has passed.",
    )
    ALREADY_SUBMITTED = (
        "already_submitted",
        ErrorKind.CONFLICT,
        "Your laboratory has submitted a result for this item already (one per item); "
        "replace it instead while the round is open.",
    )
    NOTHING_TO_REPLACE = (
        "nothing_to_replace",
        ErrorKind.CONFLICT,
        "Your laboratory has no result for this item to replace (submit one first).",
    )
    REPORT_NOT_AVAILABLE = (
        "report_not_available",
        ErrorKind.DENIED,
        "The round is not closed: its results are blind, so only its coordinator has a "
        "report of it before it closes.",
    )
    ROUND_NOT_EVALUABLE = (
        "round_not_evaluable",
        ErrorKind.CONFLICT,
        "The round cannot be scored as it stands (too few results for an item, results "
        "without spread, an uncertainty of zero); `reason` and the item say which.",
    )

    # --- INTERNAL: a failure without a more specific code
    # -- federation (issue 18)
    INVALID_DESCRIPTOR = (
        "invalid_descriptor",
        ErrorKind.INVALID,
        "A partner node's descriptor is not one this node accepts (the field says which).",
    )
    INVALID_FINGERPRINT = (
        "invalid_fingerprint",
        ErrorKind.INVALID,
        "A fingerprint is 64 hexadecimal digits (spaces and colons are ignored).",
    )
    SELF_PEERING = ("self_peering", ErrorKind.INVALID, "A node does not peer with itself.")
    PEER_EXISTS = (
        "peer_exists",
        ErrorKind.CONFLICT,
        "The node is already a peer (revoked peerings are kept for the record).",
    )
    PEER_MISMATCH = (
        "peer_mismatch",
        ErrorKind.INVALID,
        "New keys for a peer came in another node's descriptor.",
    )
    PEER_UNCHANGED = ("peer_unchanged", ErrorKind.CONFLICT, "The descriptor is the one in use.")
    FINGERPRINT_MISMATCH = (
        "fingerprint_mismatch",
        ErrorKind.CONFLICT,
        "The fingerprint typed is not that of the descriptor; nothing changed (recorded).",
    )
    UNKNOWN_PEER = ("unknown_peer", ErrorKind.NOT_FOUND, "No such peer.")
    AGREEMENT_NOT_IN_FORCE = (
        "agreement_not_in_force",
        ErrorKind.CONFLICT,
        "A peering names only agreements in force.",
    )
    PEER_NOT_A_PARTY = (
        "peer_not_a_party",
        ErrorKind.CONFLICT,
        "The peer's nation is not a party to the agreement named.",
    )
    INVALID_PEER_TRANSITION = (
        "invalid_peer_transition",
        ErrorKind.CONFLICT,
        "The peering is not in a state that allows this move.",
    )
    INVALID_STIX = (
        "invalid_stix",
        ErrorKind.INVALID,
        "Not well-formed STIX 2.1: bad JSON, duplicate keys, a malformed id or timestamp, "
        "another spec version, refused by the stix2 library, or one version given twice "
        "with different content.",
    )
    STIX_TOO_LARGE = (
        "stix_too_large",
        ErrorKind.TOO_LARGE,
        "More bytes or objects than a STIX import accepts (checked before parsing).",
    )
    UNKNOWN_MARKING_DEFINITION = (
        "unknown_marking_definition",
        ErrorKind.INVALID,
        "A STIX marking that is neither a Caveat label nor a readable TLP colour "
        "(statements, PAP, ACS, unknown colours, undefined references, disagreeing readings).",
    )
    UNMARKED_STIX_OBJECT = (
        "unmarked_stix_object",
        ErrorKind.INVALID,
        "A STIX object without a Caveat label, and no default label was configured.",
    )
    PEER_IDENTITY_CHANGED = (
        "peer_identity_changed",
        ErrorKind.CONFLICT,
        "A peer's new descriptor names another nation or organisation: that is a new "
        "peering, not a key rotation.",
    )
    PEER_NAME_TAKEN = (
        "peer_name_taken",
        ErrorKind.CONFLICT,
        "Another peer already has this name (peers are found by name).",
    )
    PEER_KEY_NAME_TAKEN = (
        "peer_key_name_taken",
        ErrorKind.CONFLICT,
        "A peer's log or witness key carries a name another peer, witness or this node "
        "already holds with other keys.",
    )
    NODE_RELEASE_DENIED = (
        "node_release_denied",
        ErrorKind.DENIED,
        "The policy does not let the peer node receive the item (``failed`` names the "
        "requirements; the release preview says why).",
    )
    RELEASE_TOO_LARGE = (
        "release_too_large",
        ErrorKind.TOO_LARGE,
        "The item is larger than a release to a peer can carry yet (64 MiB).",
    )
    TDF_INVALID = (
        "tdf_invalid",
        ErrorKind.INTEGRITY,
        "Not a release package in Caveat's profile of OpenTDF: ZIP layout, JSON, the spec's "
        "schema or a fixed value.",
    )
    TDF_TAMPERED = (
        "tdf_tampered",
        ErrorKind.INTEGRITY,
        "A release package failed a cryptographic check (wrapped key, policy binding, CRC, "
        "segment hash, root signature, an assertion or manifest binding, decryption).",
    )
    TDF_NOT_RECIPIENT = (
        "tdf_not_recipient",
        ErrorKind.INTEGRITY,
        "A release package's key access object names another key or key access URL.",
    )
    TDF_UNTRUSTED_SIGNER = (
        "tdf_untrusted_signer",
        ErrorKind.INTEGRITY,
        "A release package's assertions are not bound by a key this node trusts for it.",
    )
    TDF_TOO_LARGE = (
        "tdf_too_large",
        ErrorKind.TOO_LARGE,
        "A release package is over a size limit (payload, manifest, segments, policy).",
    )
    TDF_LABEL_INVALID = (
        "tdf_label_invalid",
        ErrorKind.INTEGRITY,
        "A release package's label or export assertion is missing, unreadable, or its two "
        "forms disagree.",
    )
    TDF_PROVENANCE_INVALID = (
        "tdf_provenance_invalid",
        ErrorKind.INTEGRITY,
        "A release package carries no valid provenance assertion (the originating node "
        "and artifact, signed by the sender and bound to the payload).",
    )
    TDF_SPLIT_MISSING = (
        "tdf_split_missing",
        ErrorKind.INTEGRITY,
        "A split-mode release package was opened without its originating node's key "
        "split; its first open must obtain that split (ADR 0033).",
    )
    INVALID_KEY_MODE = (
        "invalid_key_mode",
        ErrorKind.INVALID,
        "A release to a peer is offline (the package carries its whole key) or split (this "
        "node keeps a key split the peer must obtain before its first open).",
    )
    SPLIT_REFUSED = (
        "split_refused",
        ErrorKind.DENIED,
        "The originating node refused its key split of a split-mode item (recalled, not "
        "released to this node, or its policy no longer permits it): the item cannot be "
        "opened; the detail gives the originator's reason in words.",
    )
    SPLIT_NOT_NEEDED = (
        "split_not_needed",
        ErrorKind.CONFLICT,
        "The received item was released offline: it needs no key split from its originator.",
    )
    SPLIT_OBTAINED_ALREADY = (
        "split_obtained_already",
        ErrorKind.CONFLICT,
        "The received item was opened already: its originator's key split is held here.",
    )
    SPLIT_RACED = (
        "split_raced",
        ErrorKind.CONFLICT,
        "The received item was opened, or recalled, while its key split was being obtained.",
    )
    # What an originating node answers a peer that asks for a key split (403), and the
    # receiving node then reports inside split_refused's detail.
    SPLIT_UNKNOWN = (
        "split_unknown",
        ErrorKind.DENIED,
        "The originating node released nothing to the asking node by that id (a third node "
        "asking for another's split learns no more than of an unknown id); alerted.",
    )
    SPLIT_RECALLED = (
        "split_recalled",
        ErrorKind.DENIED,
        "The originating node recalled the release and destroyed its key split: the item "
        "can never be opened.",
    )
    SPLIT_PEERING = (
        "split_peering",
        ErrorKind.DENIED,
        "The peering between the two nodes does not allow the split now (suspended, "
        "revoked, or no agreement in force).",
    )
    SPLIT_NOT_RELEASABLE = (
        "split_not_releasable",
        ErrorKind.DENIED,
        "The originating node's policy no longer permits the release to the asking node; "
        "the detail names the failed requirements.",
    )
    SPLIT_UNAVAILABLE = (
        "split_unavailable",
        ErrorKind.DENIED,
        "The originating node cannot unseal its own split (its node key changed or the row "
        "is damaged); its operator must look.",
    )
    PEER_PACKAGE_NOT_ORIGIN = (
        "peer_package_not_origin",
        ErrorKind.INTEGRITY,
        "A package's provenance names another originating node than the peer that sent "
        "it; re-release goes through the originator, so it was refused.",
    )
    INVALID_RECALL_REASON = (
        "invalid_recall_reason",
        ErrorKind.INVALID,
        "A recall's reason is mis_release, agreement_ended, licence_revoked or other "
        "(with a text saying why), its text at most 500 characters.",
    )
    RELEASE_NOT_SENT = (
        "release_not_sent",
        ErrorKind.NOT_FOUND,
        "Nothing of the artifact was released to the peer, so there is nothing to recall.",
    )
    RELEASE_ALREADY_RECALLED = (
        "release_already_recalled",
        ErrorKind.CONFLICT,
        "What was released of the artifact to the peer is recalled already.",
    )
    PEER_RECALL_INVALID = (
        "peer_recall_invalid",
        ErrorKind.INTEGRITY,
        "A recall from a peer is not signed by its key, is malformed, or names another "
        "originating or receiving node; it was refused and alerted.",
    )
    INVALID_RELEASE_PROOF_REQUEST = (
        "invalid_release_proof_request",
        ErrorKind.INVALID,
        "A peer's request for release proofs is not {seqs: [int]} with 1 to 100 entries.",
    )
    INVALID_RECALL_CONFIRMATION = (
        "invalid_recall_confirmation",
        ErrorKind.INVALID,
        "A peer's confirmation of recalls is not {confirmations: [{recall_id, outcome, "
        "hidden}]} with at most 100 entries.",
    )
    RE_RELEASE_NOT_ORIGINATOR = (
        "re_release_not_originator",
        ErrorKind.DENIED,
        "A received item is released onwards, or widened, only by the node it "
        "originated from: ask its originating node.",
    )
    RECEIVED_LABEL_FIXED = (
        "received_label_fixed",
        ErrorKind.DENIED,
        "An artifact a partner node released here keeps its label as received: it is "
        "not relabelled, released, granted, exported or given new versions here; its "
        "originating node decides any release onwards.",
    )
    RECEIVING_PROJECT_INVALID = (
        "receiving_project_invalid",
        ErrorKind.CONFLICT,
        "A peering's receiving project must be an active project of this node, and the "
        "peer's organisation must be recorded first (it originates what is received).",
    )
    INVALID_RE_RELEASE_REQUEST = (
        "invalid_re_release_request",
        ErrorKind.INVALID,
        "A re-release request names a third nation (an ISO 3166-1 alpha-3 code), optionally "
        "the third node as the originating node knows it, and a justification (at most 500 "
        "characters); a refusal says why.",
    )
    RE_RELEASE_NOT_SENT = (
        "re_release_not_sent",
        ErrorKind.NOT_FOUND,
        "The originating node did not release the item to the node asking (or recalled it): "
        "there is nothing of it there to re-release. Refused and alerted.",
    )
    RE_RELEASE_RATE_LIMITED = (
        "re_release_rate_limited",
        ErrorKind.THROTTLED,
        "The asking peer has as many re-release requests pending here, or sent as many in the "
        "last hour, as this node allows (`limit` says which); `retry_after` (and the "
        "Retry-After header) says when to ask again. Recorded.",
    )
    RE_RELEASE_REQUEST_CONFLICT = (
        "re_release_request_conflict",
        ErrorKind.CONFLICT,
        "A re-release request with this id was received before with other content.",
    )
    UNKNOWN_RE_RELEASE_REQUEST = (
        "unknown_re_release_request",
        ErrorKind.NOT_FOUND,
        "No re-release request with this id is waiting here for you.",
    )
    RE_RELEASE_DECIDED = (
        "re_release_decided",
        ErrorKind.CONFLICT,
        "The re-release request is decided already.",
    )
    RE_RELEASE_NO_PEER = (
        "re_release_no_peer",
        ErrorKind.CONFLICT,
        "No active peer of this node is of the requested nation (and name), or only the node "
        "that asked is: peer with the third node first, or refuse the request.",
    )
    RE_RELEASE_PEER_AMBIGUOUS = (
        "re_release_peer_ambiguous",
        ErrorKind.CONFLICT,
        "Several active peers are of the requested nation: name the one to release to.",
    )
    PEER_RE_RELEASE_INVALID = (
        "peer_re_release_invalid",
        ErrorKind.INTEGRITY,
        "A re-release decision from a peer is not signed by its key, is malformed, names "
        "another deciding or asking node, or answers no request this node made; it was "
        "refused and alerted.",
    )
    PEER_PACKAGE_NOT_RELEASABLE = (
        "peer_package_not_releasable",
        ErrorKind.INTEGRITY,
        "A package's label is not releasable to this node's nation (or the node's "
        "operating organisation is not recorded); it was refused and alerted.",
    )
    TLS_FILE_MISSING = (
        "tls_file_missing",
        ErrorKind.INVALID,
        "A file named by `caveat serve --tls-cert` or `--tls-key` does not exist.",
    )
    TLS_FILE_INVALID = (
        "tls_file_invalid",
        ErrorKind.INVALID,
        "A TLS certificate or key file is not PEM.",
    )
    PEER_RECIPIENT_UNSET = (
        "peer_recipient_unset",
        ErrorKind.CONFLICT,
        "Nobody has said which organisation receives what is released to the peer, or "
        "to which level the node is accredited.",
    )
    PEER_REQUEST_REFUSED = (
        "peer_request_refused",
        ErrorKind.UNAUTHENTICATED,
        "A request on the federation protocol was refused (the same answer for every "
        "reason; the reason is in this node's ledger, and a known peer's refusal is an alert).",
    )
    PEER_REFUSED_REQUEST = (
        "peer_refused_request",
        ErrorKind.CONFLICT,
        "A peer refused this node's signed request; its operators see why in their ledger.",
    )
    PEER_UNAVAILABLE = (
        "peer_unavailable",
        ErrorKind.UNAVAILABLE,
        "A peer could not be reached or answered with an error.",
    )
    PEER_ANSWER_INVALID = (
        "peer_answer_invalid",
        ErrorKind.INTEGRITY,
        "A peer's answer was malformed or came from another node than the one peered.",
    )
    # -- the TAXII 2.1 server (issue 20, ADR 0023)
    UNKNOWN_TAXII_COLLECTION = (
        "unknown_taxii_collection",
        ErrorKind.NOT_FOUND,
        "No TAXII collection with that id, or none the caller may see (members of its "
        "project see it).",
    )
    UNKNOWN_TAXII_OBJECT = (
        "unknown_taxii_object",
        ErrorKind.NOT_FOUND,
        "No version of that STIX object in the collection that the caller may read: a "
        "hidden object answers exactly as a missing one.",
    )
    UNKNOWN_TAXII_STATUS = (
        "unknown_taxii_status",
        ErrorKind.NOT_FOUND,
        "No status of an add request with that id made by the caller.",
    )
    INVALID_TAXII_FILTER = (
        "invalid_taxii_filter",
        ErrorKind.INVALID,
        "A TAXII query parameter is malformed: `added_after` or a `match[version]` "
        "timestamp, `match[id]`, `match[type]`, `limit` or a `next` this server did not give.",
    )
    UNKNOWN_TAXII_SUBSCRIPTION = (
        "unknown_taxii_subscription",
        ErrorKind.NOT_FOUND,
        "No subscription to a partner's TAXII collection with that id, or none the caller "
        "may see (members of the project of the collection it ingests into see it).",
    )
    INVALID_TAXII_ENDPOINT = (
        "invalid_taxii_endpoint",
        ErrorKind.INVALID,
        "A partner's TAXII collection URL is not https://host/.../collections/{id}/ without "
        "credentials, query or fragment, or names a loopback, link-local, metadata, "
        "unspecified or multicast address this node refuses to reach.",
    )
    TAXII_OWNER_DENIED = (
        "taxii_owner_denied",
        ErrorKind.DENIED,
        "A subscription's poll stopped: its owner, on whose behalf it ingests, may no longer "
        "add to the collection (account, role or project membership changed).",
    )
    NOT_ACCEPTABLE = (
        "not_acceptable",
        ErrorKind.INVALID,
        "The Accept header names no media type this endpoint answers with (TAXII: "
        "application/taxii+json;version=2.1).",
    )
    BASIC_NEEDS_API_TOKEN = (
        "basic_needs_api_token",
        ErrorKind.UNAUTHENTICATED,
        "HTTP Basic on the TAXII server takes a username and one of that person's API "
        "tokens as the password, never the account password (which would skip the second "
        "factor).",
    )
    # -- live channels (issue 21, ADR 0025)
    UNKNOWN_CHANNEL = (
        "unknown_channel",
        ErrorKind.NOT_FOUND,
        "No channel with that id or name, or none the caller may see (members of its "
        "project, or of a project of its programme, see it).",
    )
    CHANNEL_NAME_TAKEN = (
        "channel_name_taken",
        ErrorKind.CONFLICT,
        "Another channel has that name already; channel names are unique on a node.",
    )
    CHANNEL_SCOPE_REQUIRED = (
        "channel_scope_required",
        ErrorKind.INVALID,
        "A channel belongs to exactly one project or one programme: name one of them.",
    )
    INVALID_RETENTION = (
        "invalid_retention",
        ErrorKind.INVALID,
        "A channel keeps between 1 and 100,000 messages, each for between one second and 30 days.",
    )
    INVALID_EVENT_ID = (
        "invalid_event_id",
        ErrorKind.INVALID,
        "The `Last-Event-ID` header (or `after`, or the WebSocket's `last_event_id`) is the "
        "id of the last event received on this channel, as the server gave it (event ids are "
        "opaque; `0` or nothing resumes from the start of what is kept).",
    )
    MESSAGE_TOO_LARGE = (
        "message_too_large",
        ErrorKind.INVALID,
        "A channel message has at most 16,384 characters; share larger content as an artifact.",
    )
    MESSAGE_TAMPERED = (
        "message_tampered",
        ErrorKind.INTEGRITY,
        "A message on the channel broker failed authentication (injected into the broker, "
        "altered, or copied from another channel); it is dropped, never delivered.",
    )
    CAVEAT_ERROR = (
        "caveat_error",
        ErrorKind.INTERNAL,
        "An error without a more specific code; report it to the node operator.",
    )
    INTERNAL_ERROR = (
        "internal_error",
        ErrorKind.INTERNAL,
        "The server hit an unexpected error; report the `request_id` to the node operator.",
    )
    REMOTE_ERROR = (
        "remote_error",
        ErrorKind.INTERNAL,
        "The server failed without a more specific code (HTTP 5xx); report the request id to "
        "the node operator.",
    )


_BY_VALUE: dict[str, ErrorCode] = {code.value: code for code in ErrorCode}


def lookup(code: str) -> ErrorCode | None:
    """The catalogue entry of ``code``; None when the code is not catalogued."""
    return _BY_VALUE.get(code)


def by_kind() -> dict[ErrorKind, list[ErrorCode]]:
    """The codes of each kind, in catalogue order."""
    grouped: dict[ErrorKind, list[ErrorCode]] = {kind: [] for kind in ErrorKind}
    for code in ErrorCode:
        grouped[code.kind].append(code)
    return grouped
