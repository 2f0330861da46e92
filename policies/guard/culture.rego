# Where an exchange happens and in which language: legal regimes, texts, crisis lines, thresholds.
#
# Everything here is a rule over `input.context`, not a function: rules are evaluated once per
# query, which keeps an admit + output evaluation well under a millisecond.
package guard.culture

import rego.v1

ctx := input.context

language := object.get(ctx, "language", "")

# The legal regimes that apply: sub-national first (US-CA), then national (DE -> eu), else the
# default regime.
regime_ids := found if {
	found := array.concat(
		object.get(data.regimes.by_region, object.get(ctx, "region", ""), []),
		object.get(data.regimes.by_country, object.get(ctx, "country", ""), []),
	)
	count(found) > 0
} else := [data.regimes.default_regime]

regimes := [data.regimes.regimes[id] | some id in regime_ids]

# A rule's settings list matches a setting ("*" means every setting).
applies_to_setting(rule, setting) if "*" in rule.settings

applies_to_setting(rule, setting) if setting in rule.settings

# Citations that depend on the regime (first regime that names one, else null).
consent_citation := first([c | some id in regime_ids; c := data.regimes.regimes[id].consent_citation])

manipulation_citation := first([c | some id in regime_ids; c := data.regimes.regimes[id].manipulation_citation])

vulnerability_citation := first([c | some id in regime_ids; c := data.regimes.regimes[id].vulnerability_citation])

first(values) := values[0] if count(values) > 0

else := null

# Texts in the context's language, each falling back to the fallback language.
texts := object.union(
	data.disclosures.texts[data.disclosures.fallback],
	object.get(data.disclosures.texts, language, {}),
)

# The crisis resource for the region, else the country, else the international directory.
crisis_resource := r if {
	r := data.crisis.resources[object.get(ctx, "region", "")]
} else := r if {
	r := data.crisis.resources[object.get(ctx, "country", "")]
} else := data.crisis.resources["default"]

crisis_text := sprintf(texts.crisis, [crisis_resource.name, crisis_resource.contact, crisis_resource.url])

# The manipulation threshold: the stricter of the setting's and the age band's.
base_threshold := min({
	object.get(data.thresholds.settings, ctx.setting, data.thresholds.default),
	object.get(data.thresholds.age_bands, ctx.age_band, data.thresholds.default),
})

# Emotion labels are capped where no validated data exist for the language.
emotion_confidence_cap := data.culture.validated_confidence_cap if {
	language in data.culture.validated_languages
} else := data.culture.unvalidated_confidence_cap
