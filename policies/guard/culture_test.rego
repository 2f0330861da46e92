package guard.culture_test

import rego.v1

import data.guard.culture

test_eu_member_state_is_eu if {
	culture.regime_ids == ["eu"] with input.context as {"region": "DE", "country": "DE"}
}

test_us_state_regime_comes_from_the_region if {
	culture.regime_ids == ["us_ca"] with input.context as {"region": "US-CA", "country": "US"}
}

test_unknown_region_gets_the_default_regime if {
	culture.regime_ids == ["default"] with input.context as {"region": "BR", "country": "BR"}
	culture.regime_ids == ["default"] with input.context as {"region": null, "country": null}
}

test_crisis_resource_falls_back_from_region_to_country if {
	r := culture.crisis_resource with input.context as {"region": "US-NY", "country": "US"}
	r.contact == "call or text 988"
}

test_crisis_resource_falls_back_to_the_directory if {
	r := culture.crisis_resource with input.context as {"region": "BR", "country": "BR"}
	r.url == "https://findahelpline.com"
}

test_every_crisis_resource_has_source_and_last_verified if {
	every code, r in data.crisis.resources {
		startswith(r.source, "https://")
		count(r.last_verified) == 10
	}
}

test_texts_use_the_locale_language if {
	t := culture.texts with input.context as {"language": "de"}
	t.ai_disclosure == "Sie sprechen mit einem KI-System, nicht mit einem Menschen."
}

test_texts_fall_back_to_english if {
	t := culture.texts with input.context as {"language": "pt"}
	t.ai_disclosure == data.disclosures.texts.en.ai_disclosure
}

text_kinds := {kind | data.disclosures.texts.en[kind]}

missing_texts contains [lang, kind] if {
	some lang in ["en", "de", "fr", "es", "ja"]
	some kind in text_kinds
	not data.disclosures.texts[lang][kind]
}

test_every_locale_has_every_text if {
	count(text_kinds) >= 6
	count(missing_texts) == 0
}

test_threshold_is_the_stricter_of_setting_and_age_band if {
	culture.base_threshold == 0.35 with input.context as {"setting": "general", "age_band": "minor"}
	culture.base_threshold == 0.5 with input.context as {"setting": "companion", "age_band": "adult"}
	culture.base_threshold == 0.6 with input.context as {"setting": "general", "age_band": "unknown"}
}

test_emotion_confidence_is_capped_for_unvalidated_languages if {
	culture.emotion_confidence_cap == 1 with input.context as {"language": "en"}
	culture.emotion_confidence_cap == 0.5 with input.context as {"language": "ja"}
}

test_regional_regimes_come_before_national_ones if {
	ids := culture.regime_ids with input.context as {"region": "XX-1", "country": "DE"}
		with data.regimes.by_region as {"XX-1": ["us_ca"]}
	ids == ["us_ca", "eu"]
}

test_a_rule_applies_to_every_setting_or_to_the_listed_ones if {
	culture.applies_to_setting({"settings": ["*"]}, "workplace")
	culture.applies_to_setting({"settings": ["education", "workplace"]}, "workplace")
	not culture.applies_to_setting({"settings": ["companion"]}, "workplace")
	not culture.applies_to_setting({"settings": []}, "workplace")
}

test_citations_come_from_the_first_regime_that_names_one if {
	culture.consent_citation == "GDPR Art. 6(1)(a), Art. 7" with input.context as {"region": "DE", "country": "DE"}
	culture.consent_citation == null with input.context as {"region": "BR", "country": "BR"}
	culture.manipulation_citation == "EU AI Act Art. 5(1)(a)" with input.context as {"region": "FR", "country": "FR"}
}

test_unknown_setting_and_age_band_use_the_default_threshold if {
	culture.base_threshold == data.thresholds.default with input.context as {"setting": "other", "age_band": "other"}
}
