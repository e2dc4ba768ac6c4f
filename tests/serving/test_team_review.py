"""Team review through the API: blind second reviews, disputes decided by leads, undo, reviewer statistics,
clearances, and the export's provenance and weights."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from serving.storage.api_keys import create_api_key
from serving.storage.models import ReviewRow, utc_now
from serving.storage.retractions import retract
from serving.storage.review_checks import Author, ReviewRefused
from tests.conftest import TINY_ITEMS
from tests.serving.conftest import BACKENDS, Service, make_database_url, start_module_service, start_service
from training.train import TrainResult


class Team:
    """A service where every first review goes to a second reviewer, with three reviewers and a lead."""

    def __init__(self, service: Service, ids: list[int]) -> None:
        self.service, self.ids = service, ids
        with service.db.write() as session:
            self.keys = {
                name: create_api_key(session, role="reviewer", name=name, now=utc_now())[1] for name in ("b", "c")
            }
        self.keys["a"], self.keys["lead"] = service.keys.reviewer, service.keys.lead
        self.keys["admin"] = service.keys.admin

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def review(self, who: str, listing_id: int, labels: list[str], status: int = 201) -> dict:
        answer = self.service.client.post(
            f"/v1/listings/{listing_id}/reviews", json={"labels": labels}, headers=self.h(who)
        )
        assert answer.status_code == status, answer.text
        return answer.json()

    def queue(self, who: str) -> dict[int, dict]:
        answer = self.service.client.get("/v1/queue", params={"limit": 200}, headers=self.h(who))
        assert answer.status_code == 200
        return {item["listing_id"]: item for item in answer.json()["items"]}

    def detail(self, who: str, listing_id: int) -> dict:
        answer = self.service.client.get(f"/v1/listings/{listing_id}", headers=self.h(who))
        assert answer.status_code == 200
        return answer.json()

    def export(self) -> dict[int, dict]:
        answer = self.service.client.get("/v1/reviews/export", headers=self.h("a"))
        return {line["soi_listing_id"]: line for line in map(json.loads, answer.text.splitlines())}

    def stats(self) -> dict[str, dict]:
        answer = self.service.client.get("/v1/reviewers/stats", headers=self.h("lead"))
        assert answer.status_code == 200, answer.text
        return {row["reviewer"]: row for row in answer.json()["reviewers"]}


@pytest.fixture(scope="module", params=BACKENDS)
def crew(
    request: pytest.FixtureRequest, trained: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    for service in start_module_service(request, trained, tmp_path_factory, auth_cache_s=0, second_review_share=1.0):
        listings = [{"id": f"t-{i}", "platform": "tiki", "title": title} for i, (title, _) in enumerate(TINY_ITEMS)]
        ids = [result["stored_listing_id"] for result in service.score_batches(listings, batch=20)]
        yield Team(service, ids)


def test_a_second_review_is_blind_and_agreement_closes_it(crew: Team) -> None:
    listing = crew.ids[0]
    first = crew.review("a", listing, ["counterfeit"])
    assert first["kind"] == "review"
    assert listing not in crew.queue("a")  # not theirs to check
    assert crew.queue("b")[listing]["review_stage"] == "second"
    blind = crew.detail("b", listing)
    assert blind["reviews"] == [] and blind["labels"] is None and blind["hidden_reviews"] == 1
    assert crew.detail("a", listing)["labels"] == ["counterfeit"]  # the first reviewer sees their own
    assert crew.export()[listing]["provenance"] == "single"
    second = crew.review("b", listing, ["counterfeit"])
    assert second["kind"] == "second"
    assert listing not in crew.queue("c") and listing not in crew.queue("lead")
    assert crew.detail("c", listing)["review_stage"] is None
    line = crew.export()[listing]
    assert (line["provenance"], line["weight"], line["labels"]) == ("double_agreed", 1.0, ["counterfeit"])


def test_a_disagreement_goes_to_a_lead_whose_decision_is_final(crew: Team) -> None:
    listing = crew.ids[1]
    crew.review("a", listing, [])
    crew.review("b", listing, ["smuggled"])
    assert crew.queue("lead")[listing]["review_stage"] == "dispute"
    assert all(listing not in crew.queue(who) for who in ("a", "b", "c"))  # reviewers do not decide
    refused = crew.review("c", listing, ["smuggled"], status=409)
    assert "lead" in refused["detail"]
    assert crew.export()[listing]["provenance"] == "disputed" and crew.export()[listing]["weight"] == 0
    decision = crew.review("lead", listing, ["smuggled"])
    assert decision["kind"] == "decision"
    assert listing not in crew.queue("lead")
    line = crew.export()[listing]
    assert (line["provenance"], line["weight"], line["reviewer"]) == ("lead_decision", 1.0, "test-lead")
    stats = crew.stats()
    assert stats["test-reviewer"]["with_lead"]["exact"]["raw"] == 0 and stats["test-reviewer"]["overridden"] >= 1
    assert stats["b"]["with_lead"]["exact"]["raw"] == 1.0
    assert stats["test-lead"]["decisions"] >= 1
    agreement = stats["test-reviewer"]["with_second"]["per_label"]["smuggled"]
    assert agreement["n"] >= 1 and agreement["raw_ci"][0] <= agreement["raw"] <= agreement["raw_ci"][1]


def test_a_lead_who_took_part_in_a_dispute_does_not_decide_it(crew: Team) -> None:
    listing = crew.ids[2]
    crew.review("a", listing, [])
    crew.review("lead", listing, ["prohibited"])  # the lead as the second reviewer
    assert listing not in crew.queue("lead") and crew.queue("admin")[listing]["review_stage"] == "dispute"
    again = crew.review("lead", listing, ["prohibited"])
    assert again["kind"] == "second"  # a correction of their own part, not a decision
    assert crew.review("admin", listing, ["prohibited"])["kind"] == "decision"


def test_undo_returns_the_listing_to_the_queue_as_it_was(crew: Team) -> None:
    listing = crew.ids[3]
    first = crew.review("a", listing, ["prohibited"])
    assert listing not in crew.queue("a") and listing in crew.queue("b")
    refused = crew.service.client.post(f"/v1/reviews/{first['review_id']}/retract", headers=crew.h("b"))
    assert refused.status_code == 409  # not theirs
    undone = crew.service.client.post(f"/v1/reviews/{first['review_id']}/retract", headers=crew.h("a"))
    assert undone.status_code == 201, undone.text
    assert undone.json()["kind"] == "retracted" and undone.json()["retracts_review_id"] == first["review_id"]
    assert crew.queue("a")[listing]["review_stage"] is None  # unreviewed again, for everyone
    assert crew.queue("b")[listing]["review_stage"] is None
    history = crew.detail("lead", listing)["reviews"]
    assert [(r["kind"], r["retracted"]) for r in history] == [("review", True), ("retracted", False)]
    assert crew.detail("lead", listing)["labels"] is None and listing not in crew.export()
    again = crew.service.client.post(f"/v1/reviews/{first['review_id']}/retract", headers=crew.h("a"))
    assert again.status_code == 409
    missing = crew.service.client.post("/v1/reviews/999999/retract", headers=crew.h("a"))
    assert missing.status_code == 404
    # a second review undone: the listing waits for a second review again
    crew.review("a", listing, ["prohibited"])
    second = crew.review("b", listing, ["prohibited"])
    assert (
        crew.service.client.post(f"/v1/reviews/{second['review_id']}/retract", headers=crew.h("b")).status_code == 201
    )
    assert crew.queue("c")[listing]["review_stage"] == "second" and listing in crew.queue("b")


def test_a_review_can_be_retracted_only_within_the_undo_window(crew: Team) -> None:
    listing = crew.ids[4]
    stored = crew.review("c", listing, [])
    with crew.service.db.write() as session:
        row = session.get(ReviewRow, stored["review_id"])
        author = Author(name="c", key_id=row.api_key_id, lead=False)
        with pytest.raises(ReviewRefused, match="within 60 s"):
            retract(session, row.id, author, undo_s=60, now=row.created_at + timedelta(seconds=61))


def test_an_unreliable_reviewer_stops_feeding_training_until_a_lead_clears_them(crew: Team) -> None:
    for listing in crew.ids[5:8]:  # c is overridden by the lead three times
        crew.review("c", listing, ["counterfeit", "smuggled"])
        crew.review("b", listing, [])
        crew.review("lead", listing, [])
    waiting = crew.ids[8]
    crew.review("c", waiting, ["counterfeit"])  # a single review, waiting for its second
    standing = crew.stats()["c"]["standing"]
    assert standing["status"] == "excluded" and standing["weight"] == 0
    assert crew.export()[waiting]["weight"] == 0
    page = crew.service.client.post("/v1/reviewers/clearances", json={"reviewer": "c"}, headers=crew.h("b"))
    assert page.status_code == 403
    unknown = crew.service.client.post("/v1/reviewers/clearances", json={"reviewer": "nobody"}, headers=crew.h("lead"))
    assert unknown.status_code == 404
    cleared = crew.service.client.post(
        "/v1/reviewers/clearances", json={"reviewer": "c", "note": "đã nhắc nhở"}, headers=crew.h("lead")
    )
    assert cleared.status_code == 201 and cleared.json()["cleared_by"] == "test-lead"
    standing = crew.stats()["c"]["standing"]
    assert standing["status"] == "trusted" and standing["since"] is not None and standing["checks"] == 0
    assert crew.export()[waiting]["weight"] == 0  # reviews from before the clearance stay as measured
    fresh = crew.ids[9]
    crew.review("c", fresh, [])
    assert crew.export()[fresh]["weight"] == pytest.approx(crew.service.client.app.state.settings.review_prior_kappa)
    assert crew.service.client.get("/v1/reviewers/stats", headers=crew.h("a")).status_code == 403


def test_a_review_contradicting_a_confident_model_goes_to_a_second_reviewer(
    trained: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = make_database_url("sqlite", tmp_path_factory.mktemp("db"))
    overrides = {"second_review_share": 0.0, "second_review_confident_high": 0.6}
    for service in start_service(trained, url, "sqlite", auth_cache_s=0, **overrides):
        listings = [{"id": f"m-{i}", "title": title} for i, (title, _) in enumerate(TINY_ITEMS[:12])]
        answer = service.client.post(
            "/v1/score/batch", json={"listings": listings}, headers=service.keys.header("crawler")
        )
        results = answer.json()["results"]
        confident = [r for r in results if max(r["probabilities"].values()) >= 0.6]
        assert len(confident) >= 2
        contradicting, agreeing = confident[0], confident[1]
        crew = Team(service, [])
        crew.review("a", contradicting["stored_listing_id"], [])  # says clean where the model is sure
        model_labels = [label for label, p in agreeing["probabilities"].items() if p >= 0.6]
        crew.review("a", agreeing["stored_listing_id"], model_labels)
        queue = crew.queue("b")
        assert queue[contradicting["stored_listing_id"]]["review_stage"] == "second"
        assert agreeing["stored_listing_id"] not in queue


def test_an_edited_listing_ends_its_open_check_and_returns_as_a_first_review(crew: Team) -> None:
    listing = crew.ids[10]
    pending = crew.stats()["test-reviewer"]["pending"]
    crew.review("a", listing, ["counterfeit"])
    assert crew.queue("b")[listing]["review_stage"] == "second"
    assert crew.stats()["test-reviewer"]["pending"] == pending + 1
    edited = {"id": "t-10", "platform": "tiki", "title": TINY_ITEMS[10][0] + " (đã sửa)"}
    answer = crew.service.client.post("/v1/score", json=edited, headers=crew.service.keys.header("crawler"))
    assert answer.status_code == 200 and answer.json()["stored_listing_id"] == listing
    assert crew.queue("a")[listing]["review_stage"] is None  # the new version waits for a first review, from anyone
    assert crew.detail("b", listing)["hidden_reviews"] == 0
    crew.review("b", listing, ["counterfeit"])
    assert crew.stats()["test-reviewer"]["pending"] == pending  # the old version's check was cancelled
