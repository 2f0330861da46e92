# Admit: may this exchange go to the model, and on what conditions (obligations)?
#
# Input: {context, consents: [{purpose, granted_at, expires_at, withdrawn_at, source, state}],
#         signals: {pii_types, special_categories, crisis, emotional_content, therapy_request}, now}
# Entry: data.guard.admit.decision -> {allow, reasons: [{id, message, citation}], obligations}
#
# Consents are judged by their `state` at the time of the exchange (valid, withdrawn, expired,
# pending), which the consent store states; no rule reads `input.now`, so the embedded engine may
# memoise the decision (docs/policies.md, "Memoised decisions").
#
# Written for the embedded engine's cost model (docs/policies.md): input fields and data documents
# are bound to rules once, collections of regime ids (not of rule objects) are passed between
# rules, and builtins are called only where a plain comparison cannot do.
package guard.admit

import rego.v1

import data.guard.consent
import data.guard.culture

setting := input.context.setting

purposes := input.context.purposes

# An input without a consents list has no consent on file: the check still runs (fail closed).
default consents := []

consents := input.consents

default signals := {}

signals := input.signals

emotion_requested := true if {
	input.context.model_kind == "emotion"
} else := true if {
	some purpose in purposes
	purpose == "emotion_inference"
} else := false

default crisis := false

crisis if signals.crisis == true

# A reason for the decision record from a rule of the regime data.
reason(rule) := {"id": rule.id, "message": rule.message, "citation": citation} if {
	citation := rule.citation
} else := {"id": rule.id, "message": rule.message, "citation": null}

# --- Prohibitions: absolute; no consent lifts them. -----------------------------------------

exempt(ban) if {
	some purpose in purposes
	some exempt_purpose in ban.exempt_purposes
	purpose == exempt_purpose
}

prohibitions contains reason(ban) if {
	emotion_requested
	some id in culture.regime_ids
	ban := culture.regime_rules[id].emotion_inference_ban
	culture.applies_to_setting(ban, setting)
	not exempt(ban)
}

prohibitions contains r if {
	signals.therapy_request == true
	some id in culture.regime_ids
	ban := culture.regime_rules[id].therapy_ban
	r := {"id": ban.id, "message": therapy_message(ban), "citation": ban.citation}
}

# Without every record's state no consent can be checked: refuse rather than let consents pass
# unchecked.
prohibitions contains r if {
	consent.without_state(consents)
	r := {
		"id": "input.consent_without_state",
		"message": "A consent record has no 'state', so consents cannot be checked.",
		"citation": null,
	}
}

therapy_message(ban) := concat(" ", [ban.message, culture.crisis_text]) if crisis

else := ban.message

# --- Consent: every purpose that needs one has a valid record. ---------------------------------

consent_denials contains r if {
	some purpose in purposes
	consent.requires_consent(purpose)
	state := consent.status(consents, purpose)
	not state == "valid"
	r := {
		"id": concat(".", ["consent", state]),
		"message": consent_message(purpose, state),
		"citation": culture.consent_citation,
	}
}

consent_denials contains reason(rule) if {
	some _ in signals.special_categories
	some id in culture.regime_ids
	rule := culture.regime_rules[id].special_categories
	not consent.has_valid(consents, rule.consent_purpose)
	some purpose in purposes
	some processing_purpose in rule.processing_purposes
	purpose == processing_purpose
}

consent_message(purpose, "missing") := concat("", ["No consent is on file for the purpose '", purpose, "'."])

consent_message(purpose, "withdrawn") := concat("", ["Consent for the purpose '", purpose, "' was withdrawn."])

consent_message(purpose, "expired") := concat("", ["Consent for the purpose '", purpose, "' has expired."])

# A prohibition outranks missing consent: the answer to "may I, with consent?" is still no.
deny := prohibitions if {
	some _ in prohibitions
} else := consent_denials

default allow := false

allow if deny == set()

# --- Obligations the pipeline honours when the exchange is allowed. ---------------------------

# The regimes (by id) whose rule of a kind applies here.
disclosure_regimes := [id |
	some id in culture.regime_ids
	culture.applies_to_setting(culture.regime_rules[id].ai_disclosure, setting)
]

default disclose_ai := false

disclose_ai if some _ in disclosure_regimes

# Hours between repeated disclosures in this setting (0: once, at the start of a conversation).
disclose_interval_hours := min(hours) if {
	hours := [h | some id in disclosure_regimes; h := culture.regime_rules[id].ai_disclosure.interval_hours[setting]; h > 0]
	some _ in hours
} else := 0

break_regimes := [id |
	input.context.age_band == "minor"
	some id in culture.regime_ids
	culture.applies_to_setting(culture.regime_rules[id].minor_break_reminder, setting)
]

default break_reminder := false

break_reminder if some _ in break_regimes

crisis_regimes := [id |
	crisis
	some id in culture.regime_ids
	culture.applies_to_setting(culture.regime_rules[id].crisis_protocol, setting)
]

# Redaction overrides for the redact stage, {ENTITY_TYPE: operator}, from the regimes' `redact`
# objects (none in the shipped pack; two regimes naming the same entity differently is an error).
redact := {entity: operator |
	some id in culture.regime_ids
	some entity, operator in culture.regime_rules[id].redact
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

forbid_emotion_inference := false if emotion_requested

else := true

# Why the obligations hold, with the law where there is one.
obligation_reasons contains reason(culture.regime_rules[id].ai_disclosure) if {
	some id in disclosure_regimes
}

obligation_reasons contains reason(culture.regime_rules[id].minor_break_reminder) if {
	some id in break_regimes
}

obligation_reasons contains reason(culture.regime_rules[id].crisis_protocol) if {
	some id in crisis_regimes
}

obligation_reasons contains reason(culture.regime_rules[id].emotion_notice) if {
	emotion_requested
	some id in culture.regime_ids
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
reasons := obligation_reasons if allow

else := deny

# Without a context (and its setting) there is nothing to decide on: the decision stays
# undefined, which the engine reports as an error (fail closed).
decision := {"allow": allow, "reasons": reasons, "obligations": obligations} if setting
