"""``client.artifacts``: upload, download, search, show and preview a relabel.

The types mirror the API's views of the same names (``ArtifactView`` is ``Artifact``
here), parsed from the JSON the API documents. For now the resource reads through the
client's flat JSON methods (the tests still use those); the CLI uses only this.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from caveat.client._parse import parse
from caveat.client.releases import RelabelRequest

if TYPE_CHECKING:
    from caveat.client import CaveatClient


@dataclass(frozen=True, slots=True)
class Version:
    """One content version."""

    number: int
    id: str
    size: int
    sha256: str
    media_type: str
    filename: str | None
    parts: int
    created_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A version an upload has just stored, with its artifact (``VersionOut``)."""

    artifact_id: str
    number: int
    id: str
    size: int
    sha256: str
    media_type: str
    filename: str | None
    parts: int
    created_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class LabelVersion:
    """One label version: the originator's banner, canonical label and export entries."""

    seq: int
    banner: str
    label: dict[str, Any]
    export: tuple[str, ...]
    dual_use: bool
    created_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Requirement:
    code: str
    title: str
    satisfied: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ReadDecision:
    """Whether the viewer may read the content, and why (the requirements that apply)."""

    permitted: bool
    requirements: tuple[Requirement, ...]
    obligations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Artifact:
    """An artifact as a viewer who may discover it sees it (``ArtifactView``)."""

    id: str
    project_id: str
    project: str
    kind: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    banner: str
    viewer_banner: str | None
    export: tuple[str, ...]
    originating_organisation: str
    originating_node: str
    ip_owners: tuple[dict[str, str], ...]
    created_by: str
    created_at: str
    versions: tuple[Version, ...]
    labels: tuple[LabelVersion, ...]
    read: ReadDecision | None


@dataclass(frozen=True, slots=True)
class ArtifactSummary:
    """One search hit."""

    id: str
    project_id: str
    kind: str
    title: str
    banner: str
    latest_version: int
    created_at: str


@dataclass(frozen=True, slots=True)
class ArtifactPage:
    """One page of hits and the cursor of the next (None: the last page)."""

    items: tuple[ArtifactSummary, ...]
    next_after: str | None


@dataclass(frozen=True, slots=True)
class FacetCount:
    """One facet value (what the filter takes), its name and how many you may see."""

    value: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class ArtifactTable:
    """A numbered, sorted page, the total ("more than" when not ``total_exact``) and
    the facet counts (level, nation, project, kind, regime) over what you may see."""

    items: tuple[ArtifactSummary, ...]
    total: int
    total_exact: bool
    page: int
    pages: int
    facets: dict[str, tuple[FacetCount, ...]]
    facets_exact: bool
    project_names: dict[str, str]


@dataclass(frozen=True, slots=True)
class AccessChange:
    """How many people of one organisation gain or lose read access."""

    organisation: str
    nation: str
    people: int


@dataclass(frozen=True, slots=True)
class RelabelPreview:
    """What a relabel would do: its path, the new marking, who gains and who loses."""

    path: str
    banner: str
    export: tuple[str, ...]
    dual_use: bool
    gains: tuple[AccessChange, ...]
    loses: tuple[AccessChange, ...]
    gained: int
    lost: int


@dataclass(frozen=True, slots=True)
class Download:
    """What a download received."""

    status: int
    sha256: str | None
    version: int
    content_type: str | None
    content_range: str | None
    bytes: int


@dataclass(frozen=True, slots=True)
class Relabelled:
    """What a relabel became: ``applied`` (``artifact``, with its new label version),
    ``requested`` (``relabel_request``, for the originator's security officer) or
    ``release_requested`` (``release_id``: it loosens)."""

    outcome: str
    artifact_id: str
    artifact: Artifact | None = None
    relabel_request: RelabelRequest | None = None
    release_id: str | None = None

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Relabelled:
        """From the API's answer: the artifact (200) or the pending request (202)."""
        if answer["outcome"] == "applied":
            return cls("applied", answer["id"], artifact=parse(Artifact, answer))
        return parse(cls, answer)


class Artifacts:
    """Artifacts as the signed-in person may see them."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def upload(
        self,
        path: str | os.PathLike[str],
        *,
        progress: Callable[[int], None] | None = None,
        **fields: Any,
    ) -> StoredVersion:
        """Hash a file, upload it in resumable appends and complete it (fields as the
        upload takes them: project, kind, title, label, controls, ... or artifact_id)."""
        return parse(StoredVersion, self._client.upload_file(path, progress=progress, **fields))

    def download(
        self,
        artifact_id: str,
        destination: BinaryIO,
        *,
        version: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Download:
        """Stream content into ``destination``, checked against its signed SHA-256."""
        got = self._client.download(artifact_id, destination, version=version, progress=progress)
        return parse(Download, got)

    def search(self, q: str | None = None, **params: Any) -> ArtifactPage:
        """Artifacts you may discover (q, project, kind, level, nation, regime, after, limit)."""
        return parse(ArtifactPage, self._client.search_artifacts(q=q, **params))

    def table(
        self,
        q: str | None = None,
        *,
        sort: str = "created",
        descending: bool = True,
        page: int = 1,
        **filters: Any,
    ) -> ArtifactTable:
        """A numbered page of the artifacts you may discover, sorted by ``sort``
        (created, title, kind, project, level, version), with the total and facet counts;
        ``filters``: project, kind, level, nation, regime, created_from, created_to, limit."""
        answer = self._client.artifact_table(
            q=q, sort=sort, dir="desc" if descending else "asc", page=page, **filters
        )
        return parse(ArtifactTable, answer)

    def get(self, artifact_id: str) -> Artifact:
        """One artifact: metadata, labels, versions, and why you may or may not read it."""
        return parse(Artifact, self._client.artifact(artifact_id))

    def relabel(
        self,
        artifact_id: str,
        label: str,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
        *,
        reason: str,
    ) -> Relabelled:
        """Relabel, or ask for it (``outcome`` says which); ``controls`` / ``dual_use``
        None keep the current ones; ``reason`` (3-2000 characters) is kept in the ledger."""
        wanted = None if controls is None else list(controls)
        answer = self._client.relabel(artifact_id, label, wanted, dual_use, reason=reason)
        return Relabelled.of(answer)

    def preview_relabel(
        self,
        artifact_id: str,
        label: str,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
    ) -> RelabelPreview:
        """What a relabel would do and who would gain or lose read access; changes nothing."""
        wanted = None if controls is None else list(controls)
        found = self._client.preview_relabel(artifact_id, label, wanted, dual_use)
        return parse(RelabelPreview, found)
