"""GET /v1/status counts a transcript as embedded only when its vector is of its current text: a run that read
an older revision leaves that vector behind, and the next run embeds the new text again."""

from __future__ import annotations

from pipelines.synthetic import generate_company
from service.accounts.schemas import AccountIn
from service.accounts.service import upsert_accounts
from service.config import Settings
from service.db import Database
from service.embedding.cache import cache_key
from service.ingest.schemas import TranscriptIn, TurnIn
from service.ingest.service import store_transcripts
from service.runs import flow
from service.runs.service import create_run
from service.status.service import status
from tests.service.runs.test_snapshot import HashEmbedder
from tests.service.runs.test_updated_transcripts import UpdatesDuringEmbedding


def test_vectors_of_an_older_revision_are_pending(settings: Settings, db: Database) -> None:
    company = generate_company(n_customers=30, seed=5)
    transcripts = [TranscriptIn.model_validate(t) for t in company.transcripts][:80]
    changed = [
        t.model_copy(update={"turns": [*t.turns, TurnIn(speaker="customer", text="And one more thing.")]})
        for t in transcripts[:5]
    ]
    with db.transaction() as session:
        upsert_accounts(session, accounts=[AccountIn.model_validate(a) for a in company.accounts])
        store_transcripts(session, source="api", transcripts=transcripts)
        run_id = create_run(session, params={"min_personas": 2, "max_personas": 3}).id
    assert flow.execute_run(db, run_id, embedder=UpdatesDuringEmbedding(db, changed), settings=settings)
    with db.transaction(write=False) as session:
        embedding = status(session, embedding_model=cache_key(HashEmbedder())).embedding
    assert (embedding.embedded, embedding.pending) == (75, 5)
