package guard.consent_test

import rego.v1

import data.guard.consent

now := "2026-06-01T12:00:00.000000Z"

granted := {"purpose": "emotion_inference", "granted_at": "2026-01-01T00:00:00.000000Z", "expires_at": null, "withdrawn_at": null, "source": "api"}

test_valid_consent_is_valid if {
	consent.status([granted], "emotion_inference", now) == "valid"
}

test_missing_consent_is_missing if {
	consent.status([granted], "training", now) == "missing"
}

test_withdrawn_in_the_past_is_withdrawn if {
	record := object.union(granted, {"withdrawn_at": "2026-05-01T00:00:00.000000Z"})
	consent.status([record], "emotion_inference", now) == "withdrawn"
}

test_withdrawal_scheduled_later_is_still_valid if {
	record := object.union(granted, {"withdrawn_at": "2026-07-01T00:00:00.000000Z"})
	consent.status([record], "emotion_inference", now) == "valid"
}

test_expired_consent_is_expired if {
	record := object.union(granted, {"expires_at": "2026-06-01T11:59:59.999999Z"})
	consent.status([record], "emotion_inference", now) == "expired"
}

test_consent_granted_in_the_future_is_not_valid if {
	record := object.union(granted, {"granted_at": "2026-06-02T00:00:00.000000Z"})
	consent.status([record], "emotion_inference", now) == "missing"
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
	consent.status([record], "emotion_inference", now) == "missing"
}

test_a_valid_record_outranks_a_withdrawn_one_for_the_same_purpose if {
	withdrawn := object.union(granted, {"withdrawn_at": "2026-05-01T00:00:00.000000Z"})
	consent.status([withdrawn, granted], "emotion_inference", now) == "valid"
}
