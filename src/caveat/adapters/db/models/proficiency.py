"""Tables of standardized test and evaluation (issue 19, ADR 0024): test procedures and
their versions, proficiency rounds with their items and laboratories, the laboratories'
submissions, and what closing a round computed.

A procedure version and a submission are catalogue resources: each row shares its id
with a ``resources`` row that holds its label, so the one policy decides who reads them
(a procedure version is a ``document``, a submission ``test_data``, in the round's
project, originated by the submitting laboratory). Values are stored in the procedure's
unit (``value``) beside what the laboratory reported (``reported_*``), so every score can
be recomputed from stored inputs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime


class ProcedureRow(Base):
    """A standardized test procedure of a project; its content is in its versions."""

    __tablename__ = "proficiency_procedures"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_proficiency_procedures"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))  # None: console
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcedureVersionRow(Base):
    """One version of a procedure: draft, approved (by a programme manager who did not
    write it) or superseded by a later approved version. Never edited once approved."""

    __tablename__ = "proficiency_procedure_versions"
    __table_args__ = (
        UniqueConstraint("procedure_id", "version", name="uq_proficiency_procedure_versions"),
    )
    id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    procedure_id: Mapped[str] = mapped_column(ForeignKey("proficiency_procedures.id"))
    version: Mapped[int] = mapped_column(Integer)
    measurand: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60))  # as pint reads it
    method: Mapped[str] = mapped_column(Text)
    equipment: Mapped[str] = mapped_column(Text)
    acceptance_criteria: Mapped[str] = mapped_column(Text)
    uncertainty_reporting: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # draft | approved | superseded
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RoundRow(Base):
    """A proficiency round: its coordinator, deadline, status and every method choice
    the evaluation at close follows (ISO 13528:2022; ADR 0020 names the options)."""

    __tablename__ = "proficiency_rounds"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    procedure_version_id: Mapped[str] = mapped_column(
        ForeignKey("proficiency_procedure_versions.id")
    )
    title: Mapped[str] = mapped_column(String(300))
    coordinator_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12))  # open | closed | cancelled
    robust_method: Mapped[str] = mapped_column(String(20))
    assigned_method: Mapped[str] = mapped_column(String(20))
    sigma_method: Mapped[str] = mapped_column(String(24))
    sigma_value: Mapped[float | None] = mapped_column(Float)  # prescribed sigma_pt, or a fraction
    warning_limit: Mapped[float] = mapped_column(Float)
    action_limit: Mapped[float] = mapped_column(Float)
    en_limit: Mapped[float] = mapped_column(Float)
    en_boundary: Mapped[str] = mapped_column(String(24))
    reveal_identities: Mapped[bool] = mapped_column(Boolean)
    label_json: Mapped[str] = mapped_column(Text)  # the label submissions take by default
    opened_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # proficiency (ISO 13528 scores at close) or precision_study (ISO 5725-2: s_r, s_L,
    # s_R, r, R with the outlier screening at close); migration 0024.
    kind: Mapped[str] = mapped_column(
        String(20), default="proficiency", server_default="proficiency"
    )


class RoundItemRow(Base):
    """A proficiency test item (or level) of a round; the assigned value when it is known
    beforehand (formulation, reference or certified value)."""

    __tablename__ = "proficiency_round_items"
    __table_args__ = (UniqueConstraint("round_id", "name", name="uq_proficiency_round_items"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    assigned_value: Mapped[float | None] = mapped_column(Float)
    assigned_uncertainty: Mapped[float | None] = mapped_column(Float)  # u, or U when certified
    assigned_coverage: Mapped[float | None] = mapped_column(Float)  # k of a certified U


class ParticipantRow(Base):
    """A laboratory (organisation) taking part in a round, under its code (L01, ...)."""

    __tablename__ = "proficiency_participants"
    __table_args__ = (UniqueConstraint("round_id", "code", name="uq_proficiency_participants"),)
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    # The procedure version the laboratory declares it follows (ISO/IEC 17043 7.2: the
    # method each participant used is recorded and reported); None until it declares.
    # A version other than the round's is recorded and flagged, not refused (migration 0022).
    declared_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("proficiency_procedure_versions.id")
    )
    declared_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubmissionRow(Base):
    """One laboratory's result for one item: a catalogue resource (its label is there)."""

    __tablename__ = "proficiency_submissions"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "item_id", "organisation_id", name="uq_proficiency_submissions"
        ),
    )
    id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("proficiency_round_items.id"))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    value: Mapped[float] = mapped_column(Float)  # in the procedure's unit
    standard_uncertainty: Mapped[float | None] = mapped_column(Float)  # likewise
    coverage_factor: Mapped[float | None] = mapped_column(Float)
    replicates_json: Mapped[str] = mapped_column(Text)  # JSON list, the procedure's unit
    unit: Mapped[str] = mapped_column(String(60))  # as reported
    reported_value: Mapped[float] = mapped_column(Float)
    reported_uncertainty: Mapped[float | None] = mapped_column(Float)
    reported_replicates_json: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 1 for the first result; each replacement while the round is open adds one, and the
    # version it replaced is kept in proficiency_submission_versions (migration 0021).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ItemResultRow(Base):
    """What closing a round computed for one item: x_pt, u(x_pt), sigma_pt and, in
    ``evaluation_json``, every method choice, clause, constant and iteration."""

    __tablename__ = "proficiency_item_results"
    item_id: Mapped[str] = mapped_column(ForeignKey("proficiency_round_items.id"), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"), index=True)
    participants: Mapped[int] = mapped_column(Integer)
    assigned_value: Mapped[float] = mapped_column(Float)
    assigned_uncertainty: Mapped[float] = mapped_column(Float)
    sigma_pt: Mapped[float] = mapped_column(Float)
    evaluation_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScoreRow(Base):
    """One submission's scores at close (ISO 13528:2022 clause 9) and Mandel's h and k
    (ISO 5725-2 7.3.1) where the item allowed them; NULL where the inputs did not."""

    __tablename__ = "proficiency_scores"
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("proficiency_submissions.id"), primary_key=True
    )
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"), index=True)
    z: Mapped[float] = mapped_column(Float)
    z_verdict: Mapped[str] = mapped_column(String(16))
    z_prime: Mapped[float] = mapped_column(Float)
    z_prime_verdict: Mapped[str] = mapped_column(String(16))
    zeta: Mapped[float | None] = mapped_column(Float)
    zeta_verdict: Mapped[str | None] = mapped_column(String(16))
    en: Mapped[float | None] = mapped_column(Float)
    en_verdict: Mapped[str | None] = mapped_column(String(16))
    mandel_h: Mapped[float | None] = mapped_column(Float)
    mandel_k: Mapped[float | None] = mapped_column(Float)


class SubmissionVersionRow(Base):
    """A result a laboratory replaced while the round was open: the submission's content
    as it stood at ``revision``, kept so the history of a result can be read back (under
    the same blindness rule and label as the submission itself)."""

    __tablename__ = "proficiency_submission_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "revision", name="uq_proficiency_submission_versions"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("proficiency_submissions.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    standard_uncertainty: Mapped[float | None] = mapped_column(Float)
    coverage_factor: Mapped[float | None] = mapped_column(Float)
    replicates_json: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(60))
    reported_value: Mapped[float] = mapped_column(Float)
    reported_uncertainty: Mapped[float | None] = mapped_column(Float)
    reported_replicates_json: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemCheckRow(Base):
    """A homogeneity or stability check of a round's items (ISO 13528:2022 Annex B),
    recorded by the coordinator: the measurements, the sigma_pt checked against, and the
    outcome the domain computed (``outcome_json``: s_x, s_w, s_s, the criteria...).
    The latest check of each kind for an item is the one in force."""

    __tablename__ = "proficiency_item_checks"
    __table_args__ = (UniqueConstraint("round_id", "number", name="uq_proficiency_item_checks"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... in the order recorded
    item_id: Mapped[str] = mapped_column(ForeignKey("proficiency_round_items.id"))
    kind: Mapped[str] = mapped_column(String(12))  # homogeneity | stability
    measurements_json: Mapped[str] = mapped_column(Text)
    sigma_pt: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    outcome_json: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PrecisionResultRow(Base):
    """What closing a precision study computed for one level (item): ISO 5725-2's
    repeatability and reproducibility without the statistical outliers, and in
    ``screening_json`` every test of the iterative procedure (Cochran, Grubbs single and
    double), Mandel's h and k, the cells, and the estimates with every laboratory."""

    __tablename__ = "proficiency_precision_results"
    item_id: Mapped[str] = mapped_column(ForeignKey("proficiency_round_items.id"), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("proficiency_rounds.id"), index=True)
    laboratories: Mapped[int] = mapped_column(Integer)
    general_mean: Mapped[float] = mapped_column(Float)
    # s_r, s_L, s_R (named in words: SQLite's column names ignore case)
    repeatability_sd: Mapped[float] = mapped_column(Float)
    between_laboratory_sd: Mapped[float] = mapped_column(Float)
    reproducibility_sd: Mapped[float] = mapped_column(Float)
    repeatability_limit: Mapped[float] = mapped_column(Float)
    reproducibility_limit: Mapped[float] = mapped_column(Float)
    outliers_json: Mapped[str] = mapped_column(Text)  # laboratory codes
    stragglers_json: Mapped[str] = mapped_column(Text)
    screening_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
