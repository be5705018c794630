"""Identity: people, organisations, sign-in, authenticators and API tokens.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.identity._auth import (
    AuthService,
    SessionPolicy,
)
from caveat.services.identity._people import (
    ConductAlert,
    MfaSecrets,
    NewAccount,
    PeopleService,
    Person,
    find_person,
    person_target,
    person_view,
)
from caveat.services.identity._registry import (
    Organisation,
    RegistryService,
)
from caveat.services.identity._tokens import (
    ApiToken,
    TokenService,
)

__all__ = [
    "ApiToken",
    "AuthService",
    "ConductAlert",
    "MfaSecrets",
    "NewAccount",
    "Organisation",
    "PeopleService",
    "Person",
    "RegistryService",
    "SessionPolicy",
    "TokenService",
    "find_person",
    "person_target",
    "person_view",
]
