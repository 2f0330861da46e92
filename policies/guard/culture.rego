# Where an exchange happens and in which language: legal regimes, texts, crisis lines, thresholds.
#
# Everything here is a rule over `input.context`, not a function: rules are evaluated once per
# query. The rules avoid builtin calls and repeated data lookups where a plain reference does the
# same: each builtin call costs the embedded engine far more than a lookup (docs/policies.md).
package guard.culture

import rego.v1

ctx := input.context

default language := ""

language := ctx.language

default region := ""

region := ctx.region

default country := ""

country := ctx.country

# The legal regimes that apply: sub-national first (US-CA), then national (DE -> eu), else the
# default regime.
regimes := data.regimes

default regional_regime_ids := []

regional_regime_ids := regimes.by_region[region]

default national_regime_ids := []

national_regime_ids := regimes.by_country[country]

regime_ids := [regimes.default_regime] if {
	regional_regime_ids == []
	national_regime_ids == []
} else := array.concat(regional_regime_ids, national_regime_ids)

# The regimes' rules by regime id.
regime_rules := regimes.regimes

# A rule's settings list matches a setting ("*" means every setting).
applies_to_setting(rule, setting) if {
	some listed in rule.settings
	listed == "*"
} else := true if {
	some listed in rule.settings
	listed == setting
}

# Citations that depend on the regime (first regime that names one, else null).
consent_citation := first if {
	citations := [c | some id in regime_ids; c := regime_rules[id].consent_citation]
	first := citations[0]
} else := null

manipulation_citation := first if {
	citations := [c | some id in regime_ids; c := regime_rules[id].manipulation_citation]
	first := citations[0]
} else := null

vulnerability_citation := first if {
	citations := [c | some id in regime_ids; c := regime_rules[id].vulnerability_citation]
	first := citations[0]
} else := null

# Texts in the context's language, each falling back to the fallback language.
texts := object.union(
	data.disclosures.texts[data.disclosures.fallback],
	object.get(data.disclosures.texts, language, {}),
)

# The crisis resource for the region, else the country, else the international directory.
crisis_resource := r if {
	r := data.crisis.resources[region]
} else := r if {
	r := data.crisis.resources[country]
} else := data.crisis.resources["default"]

crisis_text := sprintf(texts.crisis, [crisis_resource.name, crisis_resource.contact, crisis_resource.url])

# The manipulation threshold: the stricter of the setting's and the age band's.
thresholds := data.thresholds

setting_threshold := t if {
	t := thresholds.settings[ctx.setting]
} else := thresholds.default

age_band_threshold := t if {
	t := thresholds.age_bands[ctx.age_band]
} else := thresholds.default

base_threshold := setting_threshold if {
	setting_threshold <= age_band_threshold
} else := age_band_threshold

# Emotion labels are capped where no validated data exist for the language.
emotion_confidence_cap := data.culture.validated_confidence_cap if {
	some validated in data.culture.validated_languages
	validated == language
} else := data.culture.unvalidated_confidence_cap
