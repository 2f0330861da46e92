package guard.consent_test

import rego.v1

import data.guard.consent

granted := {"purpose": "emotion_inference", "granted_at": "2026-01-01T00:00:00.000000Z", "expires_at": null, "withdrawn_at": null, "source": "api", "state": "valid"}

withdrawn := object.union(granted, {"withdrawn_at": "2026-05-01T00:00:00.000000Z", "state": "withdrawn"})

expired := object.union(granted, {"expires_at": "2026-05-01T00:00:00.000000Z", "state": "expired"})

pending := object.union(granted, {"granted_at": "2026-07-01T00:00:00.000000Z", "state": "pending"})

test_valid_consent_is_valid if {
	consent.status([granted], "emotion_inference") == "valid"
}

test_missing_consent_is_missing if {
	consent.status([granted], "training") == "missing"
}

test_no_records_is_missing if {
	consent.status([], "emotion_inference") == "missing"
}

test_withdrawn_consent_is_withdrawn if {
	consent.status([withdrawn], "emotion_inference") == "withdrawn"
}

test_expired_consent_is_expired if {
	consent.status([expired], "emotion_inference") == "expired"
}

test_consent_granted_in_the_future_is_missing if {
	consent.status([pending], "emotion_inference") == "missing"
}

test_an_unknown_state_is_missing if {
	record := object.union(granted, {"state": "revoked"})
	consent.status([record], "emotion_inference") == "missing"
}

test_the_state_decides_not_the_times if {
	# A withdrawal scheduled for later, or one the store found not yet in force: the store says valid.
	record := object.union(granted, {"withdrawn_at": "2020-01-01T00:00:00.000000Z", "expires_at": "2020-01-01T00:00:00.000000Z"})
	consent.status([record], "emotion_inference") == "valid"
	stale := object.union(withdrawn, {"withdrawn_at": null})
	consent.status([stale], "emotion_inference") == "withdrawn"
}

test_generation_needs_no_consent if {
	not consent.requires_consent("generation")
}

test_unknown_purposes_need_consent if {
	consent.requires_consent("some_new_purpose")
	consent.requires_consent("emotion_inference")
}

test_exemption_markers_need_no_consent if {
	not consent.requires_consent("medical")
	not consent.requires_consent("safety")
}

test_a_record_for_another_purpose_does_not_count if {
	record := object.union(granted, {"purpose": "training"})
	consent.status([record], "emotion_inference") == "missing"
}

test_a_valid_record_outranks_a_withdrawn_one_for_the_same_purpose if {
	consent.status([withdrawn, granted], "emotion_inference") == "valid"
	consent.status([granted, withdrawn], "emotion_inference") == "valid"
}

test_a_valid_record_outranks_an_expired_one_for_the_same_purpose if {
	consent.status([expired, granted], "emotion_inference") == "valid"
}

test_a_withdrawn_record_outranks_an_expired_one_for_the_same_purpose if {
	consent.status([expired, withdrawn], "emotion_inference") == "withdrawn"
	consent.status([withdrawn, expired], "emotion_inference") == "withdrawn"
}

test_a_withdrawn_record_outranks_a_pending_one_for_the_same_purpose if {
	consent.status([pending, withdrawn], "emotion_inference") == "withdrawn"
}

test_an_expired_record_outranks_a_pending_one_for_the_same_purpose if {
	consent.status([pending, expired], "emotion_inference") == "expired"
}

test_a_valid_record_outranks_a_pending_one_for_the_same_purpose if {
	consent.status([pending, granted], "emotion_inference") == "valid"
}

test_has_valid_follows_the_status if {
	consent.has_valid([withdrawn, granted], "emotion_inference")
	not consent.has_valid([withdrawn, expired, pending], "emotion_inference")
}

test_records_with_states_are_not_without_state if {
	not consent.without_state([granted, withdrawn, expired, pending])
	not consent.without_state([])
}

test_a_record_without_a_string_state_is_found if {
	consent.without_state([granted, object.remove(withdrawn, ["state"])])
	consent.without_state([object.union(granted, {"state": null})])
	consent.without_state([object.union(granted, {"state": 1})])
	consent.without_state(["not a record"])
}
