# Admit: may this exchange go to the model, and on what conditions (obligations)?
#
# Input: {context, consents: [{purpose, granted_at, expires_at, withdrawn_at, source}],
#         signals: {pii_types, special_categories, crisis, emotional_content, therapy_request}, now}
# Entry: data.guard.admit.decision -> {allow, reasons: [{id, message, citation}], obligations}
package guard.admit

import rego.v1

import data.guard.consent
import data.guard.culture

ctx := input.context

signals := object.get(input, "signals", {})

consents := object.get(input, "consents", [])

emotion_requested if "emotion_inference" in ctx.purposes

emotion_requested if ctx.model_kind == "emotion"

crisis if signals.crisis == true

reason(rule) := {"id": rule.id, "message": rule.message, "citation": object.get(rule, "citation", null)}

# --- Prohibitions: absolute; no consent lifts them. -----------------------------------------

exempt(ban) if {
	some purpose in ctx.purposes
	purpose in ban.exempt_purposes
}

prohibitions contains r if {
	emotion_requested
	some regime_id in culture.regime_ids
	ban := data.regimes.regimes[regime_id].emotion_inference_ban
	culture.applies_to_setting(ban, ctx.setting)
	not exempt(ban)
	r := reason(ban)
}

prohibitions contains r if {
	signals.therapy_request == true
	some regime_id in culture.regime_ids
	ban := data.regimes.regimes[regime_id].therapy_ban
	r := {"id": ban.id, "message": therapy_message(ban), "citation": ban.citation}
}

# Without the time no consent can be checked: refuse rather than let consents pass unchecked.
prohibitions contains r if {
	not is_string(input.now)
	r := {
		"id": "input.missing_now",
		"message": "The policy input has no 'now' timestamp, so consents cannot be checked.",
		"citation": null,
	}
}

therapy_message(ban) := concat(" ", [ban.message, culture.crisis_text]) if crisis

else := ban.message

# --- Consent: every purpose that needs one has a valid record. ---------------------------------

consent_denials contains r if {
	some purpose in ctx.purposes
	consent.requires_consent(purpose)
	state := consent.status(consents, purpose, input.now)
	state != "valid"
	r := {
		"id": concat(".", ["consent", state]),
		"message": consent_message(purpose, state),
		"citation": culture.consent_citation,
	}
}

consent_denials contains r if {
	count(object.get(signals, "special_categories", [])) > 0
	some regime_id in culture.regime_ids
	rule := data.regimes.regimes[regime_id].special_categories
	some purpose in ctx.purposes
	purpose in rule.processing_purposes
	not consent.has_valid(consents, rule.consent_purpose, input.now)
	r := reason(rule)
}

consent_message(purpose, "missing") := concat("", ["No consent is on file for the purpose '", purpose, "'."])

consent_message(purpose, "withdrawn") := concat("", ["Consent for the purpose '", purpose, "' was withdrawn."])

consent_message(purpose, "expired") := concat("", ["Consent for the purpose '", purpose, "' has expired."])

# A prohibition outranks missing consent: the answer to "may I, with consent?" is still no.
deny := prohibitions if count(prohibitions) > 0

deny := consent_denials if count(prohibitions) == 0

allow := count(deny) == 0

# --- Obligations the pipeline honours when the exchange is allowed. ---------------------------

disclosure_rules := [rule |
	some regime_id in culture.regime_ids
	rule := data.regimes.regimes[regime_id].ai_disclosure
	culture.applies_to_setting(rule, ctx.setting)
]

disclose_ai if count(disclosure_rules) > 0

# Hours between repeated disclosures in this setting (0: once, at the start of a conversation).
disclose_interval_hours := min({h |
	some rule in disclosure_rules
	h := object.get(object.get(rule, "interval_hours", {}), ctx.setting, 0)
	h > 0
}) if disclose_ai

default disclose_interval_hours := 0

break_rules := [rule |
	ctx.age_band == "minor"
	some regime_id in culture.regime_ids
	rule := data.regimes.regimes[regime_id].minor_break_reminder
	culture.applies_to_setting(rule, ctx.setting)
]

break_reminder if count(break_rules) > 0

crisis_rules := [rule |
	crisis
	some regime_id in culture.regime_ids
	rule := data.regimes.regimes[regime_id].crisis_protocol
	culture.applies_to_setting(rule, ctx.setting)
]

notice_rules := [rule | emotion_requested; some regime_id in culture.regime_ids; rule := data.regimes.regimes[regime_id].emotion_notice]

# Redaction overrides for the redact stage, {ENTITY_TYPE: operator}, from the regimes' `redact`
# objects (none in the shipped pack; two regimes naming the same entity differently is an error).
redact := {entity: operator |
	some regime_id in culture.regime_ids
	operator := data.regimes.regimes[regime_id].redact[entity]
}

obligations := {
	"redact": redact,
	"disclose_ai": disclose_ai,
	"disclose_interval_hours": disclose_interval_hours,
	"break_reminder": break_reminder,
	"disclose_emotion_recognition": emotion_requested,
	"forbid_emotion_inference": forbid_emotion_inference,
	"emotion_confidence_cap": culture.emotion_confidence_cap,
	"crisis_protocol": crisis,
}

default disclose_ai := false

default break_reminder := false

default crisis := false

default emotion_requested := false

default forbid_emotion_inference := true

forbid_emotion_inference := false if emotion_requested

# Why the obligations hold, with the law where there is one.
obligation_reasons contains r if {
	some rule in disclosure_rules
	r := reason(rule)
}

obligation_reasons contains r if {
	some rule in break_rules
	r := reason(rule)
}

obligation_reasons contains r if {
	some rule in crisis_rules
	r := reason(rule)
}

obligation_reasons contains r if {
	some rule in notice_rules
	r := reason(rule)
}

obligation_reasons contains r if {
	crisis
	r := {
		"id": "safety.crisis_protocol",
		"message": "A self-harm or crisis signal was seen: the answer carries a crisis resource and retention tactics are judged more strictly.",
		"citation": null,
	}
}

# Reasons as a set (the engine orders them by rule id for the decision record).
reasons := deny if not allow

else := obligation_reasons

decision := {"allow": allow, "reasons": reasons, "obligations": obligations}
