package guard.admit_test

import rego.v1

import data.guard.admit


ctx(setting, region, purposes) := {
	"tenant": "default", "setting": setting, "region": region, "country": substring(region, 0, 2),
	"locale": "en", "language": "en", "age_band": "adult", "purposes": purposes, "model_kind": "generative",
}

consent_for(purpose) := {"purpose": purpose, "granted_at": "2026-01-01T00:00:00.000000Z", "expires_at": null, "withdrawn_at": null, "source": "api", "state": "valid"}

quiet := {"pii_types": [], "special_categories": [], "crisis": false, "emotional_content": false, "therapy_request": false}

decide(context, consents, signals) := d if {
	d := admit.decision with input.context as context
		with input.consents as consents
		with input.signals as signals
		with input.now as "2026-06-01T12:00:00.000000Z"
}

reason_ids(d) := {r.id | some r in d.reasons}

test_plain_generation_needs_no_consent if {
	d := decide(ctx("general", "BR", ["generation"]), [], quiet)
	d.allow
}

test_eu_workplace_emotion_inference_is_refused_even_with_consent if {
	d := decide(ctx("workplace", "DE", ["emotion_inference", "generation"]), [consent_for("emotion_inference")], quiet)
	not d.allow
	some r in d.reasons
	r.id == "eu.ai_act.art5_1_f"
	r.citation == "EU AI Act Art. 5(1)(f)"
}

test_eu_prohibition_outranks_missing_consent if {
	d := decide(ctx("education", "FR", ["emotion_inference"]), [], quiet)
	reason_ids(d) == {"eu.ai_act.art5_1_f"}
}

test_eu_workplace_safety_purpose_is_exempt if {
	d := decide(ctx("workplace", "DE", ["emotion_inference", "safety"]), [consent_for("emotion_inference")], quiet)
	d.allow
}

test_eu_healthcare_emotion_inference_with_consent_carries_the_art_50_3_notice if {
	d := decide(ctx("healthcare", "DE", ["emotion_inference", "generation"]), [consent_for("emotion_inference")], quiet)
	d.allow
	d.obligations.disclose_emotion_recognition
	not d.obligations.forbid_emotion_inference
	some r in d.reasons
	r.id == "eu.ai_act.art50_3"
	r.citation == "EU AI Act Art. 50(3)"
}

test_withdrawn_consent_is_refused if {
	record := object.union(consent_for("emotion_inference"), {"withdrawn_at": "2026-05-01T00:00:00.000000Z", "state": "withdrawn"})
	d := decide(ctx("healthcare", "DE", ["emotion_inference"]), [record], quiet)
	not d.allow
	reason_ids(d) == {"consent.withdrawn"}
}

test_expired_consent_is_refused if {
	record := object.union(consent_for("personalization"), {"expires_at": "2026-05-01T00:00:00.000000Z", "state": "expired"})
	d := decide(ctx("general", "US-TX", ["personalization"]), [record], quiet)
	not d.allow
	reason_ids(d) == {"consent.expired"}
}

test_missing_consent_names_gdpr_in_the_eu if {
	d := decide(ctx("general", "ES", ["training"]), [], quiet)
	some r in d.reasons
	r.id == "consent.missing"
	r.citation == "GDPR Art. 6(1)(a), Art. 7"
}

test_special_category_data_needs_explicit_consent_for_personalization_in_the_eu if {
	signals := object.union(quiet, {"special_categories": ["health"]})
	d := decide(ctx("companion", "DE", ["personalization"]), [consent_for("personalization")], signals)
	not d.allow
	some r in d.reasons
	r.id == "consent.special_category"
	r.citation == "GDPR Art. 9(2)(a)"
	ok := decide(ctx("companion", "DE", ["personalization"]), [consent_for("personalization"), consent_for("special_category_data")], signals)
	ok.allow
}

test_special_category_data_in_plain_generation_is_allowed if {
	signals := object.union(quiet, {"special_categories": ["health"]})
	d := decide(ctx("general", "DE", ["generation"]), [], signals)
	d.allow
}

test_eu_requires_ai_disclosure_in_every_setting if {
	d := decide(ctx("customer_service", "IT", ["generation"]), [], quiet)
	d.obligations.disclose_ai
	d.obligations.disclose_interval_hours == 0
	"eu.ai_act.art50_1" in reason_ids(d)
}

test_us_ca_minor_companion_with_self_harm_gets_disclosure_break_and_crisis_protocol if {
	minor := object.union(ctx("companion", "US-CA", ["generation"]), {"age_band": "minor"})
	d := decide(minor, [], object.union(quiet, {"crisis": true}))
	d.allow
	d.obligations.disclose_ai
	d.obligations.disclose_interval_hours == 3
	d.obligations.break_reminder
	d.obligations.crisis_protocol
	{"us_ca.sb243.disclosure", "us_ca.sb243.crisis_protocol", "us_ca.sb243.minor_break", "safety.crisis_protocol"} == reason_ids(d)
}

test_us_ny_companion_discloses_every_three_hours if {
	d := decide(ctx("companion", "US-NY", ["generation"]), [], quiet)
	d.obligations.disclose_ai
	d.obligations.disclose_interval_hours == 3
	"us_ny.gbl47.disclosure" in reason_ids(d)
}

test_crisis_protocol_applies_everywhere if {
	d := decide(ctx("general", "BR", ["generation"]), [], object.union(quiet, {"crisis": true}))
	d.obligations.crisis_protocol
	"safety.crisis_protocol" in reason_ids(d)
}

test_us_il_therapy_request_is_refused if {
	d := decide(ctx("general", "US-IL", ["generation"]), [], object.union(quiet, {"therapy_request": true}))
	not d.allow
	some r in d.reasons
	r.id == "us_il.hb1806.no_ai_therapy"
	r.citation == "Illinois HB 1806 (Public Act 104-0054)"
}

test_us_il_therapy_refusal_carries_a_crisis_line_when_in_crisis if {
	signals := object.union(quiet, {"therapy_request": true, "crisis": true})
	d := decide(ctx("general", "US-IL", ["generation"]), [], signals)
	some r in d.reasons
	contains(r.message, "988")
}

test_therapy_request_elsewhere_is_allowed if {
	d := decide(ctx("general", "US-TX", ["generation"]), [], object.union(quiet, {"therapy_request": true}))
	d.allow
}

test_emotion_inference_is_forbidden_unless_declared if {
	d := decide(ctx("general", "US-TX", ["generation"]), [], quiet)
	d.obligations.forbid_emotion_inference
	not d.obligations.disclose_emotion_recognition
}

test_emotion_model_counts_as_emotion_inference if {
	context := object.union(ctx("workplace", "NL", ["generation"]), {"model_kind": "emotion"})
	d := decide(context, [], quiet)
	not d.allow
	"eu.ai_act.art5_1_f" in reason_ids(d)
}

test_redact_obligation_is_an_object_of_operators if {
	d := decide(ctx("general", "DE", ["generation"]), [], quiet)
	d.obligations.redact == {}
	r := admit.decision with input.context as ctx("general", "DE", ["generation"])
		with input.consents as []
		with input.signals as quiet
		with input.now as "2026-06-01T12:00:00.000000Z"
		with data.regimes.regimes.eu.redact as {"PERSON": "pseudonym"}
	r.obligations.redact == {"PERSON": "pseudonym"}
}

test_pending_consent_is_refused_as_missing if {
	record := object.union(consent_for("personalization"), {"granted_at": "2026-07-01T00:00:00.000000Z", "state": "pending"})
	d := decide(ctx("general", "US-TX", ["personalization"]), [record], quiet)
	not d.allow
	reason_ids(d) == {"consent.missing"}
}

test_the_decision_does_not_need_the_time if {
	d := admit.decision with input.context as ctx("healthcare", "DE", ["emotion_inference"])
		with input.consents as [consent_for("emotion_inference")]
		with input.signals as quiet
	d.allow
	d == decide(ctx("healthcare", "DE", ["emotion_inference"]), [consent_for("emotion_inference")], quiet)
}

test_a_consent_without_state_is_refused if {
	record := object.remove(consent_for("personalization"), ["state"])
	d := decide(ctx("general", "US-TX", ["personalization"]), [record], quiet)
	not d.allow
	reason_ids(d) == {"input.consent_without_state"}
	some r in d.reasons
	contains(r.message, "cannot be checked")
}

test_a_consent_without_state_is_refused_whatever_the_purposes if {
	record := object.union(consent_for("training"), {"state": null})
	d := decide(ctx("general", "BR", ["generation"]), [consent_for("personalization"), record], quiet)
	not d.allow
	reason_ids(d) == {"input.consent_without_state"}
}

test_an_input_without_consents_has_none_on_file if {
	d := admit.decision with input.context as ctx("general", "DE", ["generation", "personalization"])
		with input.signals as quiet
	not d.allow
	"consent.missing" in reason_ids(d)
}

test_input_without_context_has_no_decision if {
	not admit.decision with input.consents as [] with input.signals as quiet with input.now as "2026-06-01T12:00:00.000000Z"
}

test_a_rule_without_a_citation_gives_a_null_citation if {
	rule := {"id": "x.disclosure", "settings": ["*"], "message": "Disclose."}
	d := admit.decision with input.context as ctx("general", "BR", ["generation"])
		with input.consents as []
		with input.signals as quiet
		with input.now as "2026-06-01T12:00:00.000000Z"
		with data.regimes.regimes.default.ai_disclosure as rule
	d.obligations.disclose_ai
	d.obligations.disclose_interval_hours == 0
	d.reasons == {{"id": "x.disclosure", "message": "Disclose.", "citation": null}}
}

test_the_shortest_positive_interval_of_the_disclosing_regimes_applies if {
	d := admit.decision with input.context as ctx("companion", "XX-1", ["generation"])
		with input.consents as []
		with input.signals as quiet
		with input.now as "2026-06-01T12:00:00.000000Z"
		with data.regimes.by_region as {"XX-1": ["us_ca", "us_ny"]}
		with data.regimes.regimes.us_ny.ai_disclosure.interval_hours as {"companion": 2}
	d.obligations.disclose_interval_hours == 2
	{"us_ca.sb243.disclosure", "us_ny.gbl47.disclosure"} == reason_ids(d)
}
