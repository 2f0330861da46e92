package guard.output_test

import rego.v1

import data.guard.output

ctx(setting, region, age_band) := {
	"tenant": "default", "setting": setting, "region": region, "country": substring(region, 0, 2),
	"locale": "en", "language": "en", "age_band": age_band, "purposes": ["generation"], "model_kind": "generative",
}

finding(label, score) := {"detector": "manipulation", "label": label, "score": score, "start": 0, "end": 10, "source": "response"}

judge(context, findings, obligations) := d if {
	d := output.decision with input.context as context
		with input.findings as findings
		with input.obligations as obligations
}

test_no_findings_pass if {
	d := judge(ctx("companion", "DE", "adult"), [], {})
	d.action == "pass"
	d.allow
}

test_manipulation_above_threshold_is_blocked_in_companion_settings if {
	d := judge(ctx("companion", "DE", "adult"), [finding("exit.fomo", 0.8)], {})
	d.action == "block"
	not d.allow
	d.flagged == [0]
	some r in d.reasons
	r.id == "output.manipulation.block"
	r.citation == "EU AI Act Art. 5(1)(a)"
}

test_manipulation_above_threshold_is_rewritten_in_general_settings if {
	d := judge(ctx("general", "US-TX", "adult"), [finding("guilt", 0.9)], {})
	d.action == "rewrite"
	d.allow
}

test_minors_are_blocked_in_any_setting_with_the_vulnerability_citation if {
	d := judge(ctx("general", "FR", "minor"), [finding("guilt", 0.4)], {})
	d.action == "block"
	some r in d.reasons
	r.citation == "EU AI Act Art. 5(1)(b)"
}

test_near_misses_are_annotated if {
	d := judge(ctx("general", "US-TX", "adult"), [finding("sycophancy", 0.45)], {})
	d.action == "annotate"
	d.flagged == []
}

test_low_scores_pass if {
	d := judge(ctx("general", "US-TX", "adult"), [finding("sycophancy", 0.1)], {})
	d.action == "pass"
}

test_crisis_protocol_tightens_retention_tactics if {
	context := ctx("general", "US-TX", "adult")
	judge(context, [finding("retention", 0.4)], {}).action == "annotate"
	judge(context, [finding("retention", 0.4)], {"crisis_protocol": true}).action == "rewrite"
}

test_crisis_protocol_leaves_other_tactics_alone if {
	d := judge(ctx("general", "US-TX", "adult"), [finding("brand_bias", 0.4)], {"crisis_protocol": true})
	d.action == "annotate"
}

test_unknown_labels_and_request_findings_are_ignored if {
	request := object.union(finding("guilt", 0.99), {"source": "request"})
	d := judge(ctx("companion", "US-TX", "adult"), [finding("joy", 0.99), request], {})
	d.action == "pass"
}

test_only_flagged_findings_are_listed if {
	d := judge(ctx("general", "US-TX", "adult"), [finding("guilt", 0.1), finding("exit.fomo", 0.9)], {})
	d.flagged == [1]
}

test_texts_carry_the_region_crisis_line if {
	t := output.texts with input.context as ctx("companion", "DE", "adult")
	contains(t.crisis, "TelefonSeelsorge")
}

test_a_near_miss_under_the_crisis_protocol_uses_the_tightened_threshold if {
	context := ctx("general", "US-TX", "adult")
	judge(context, [finding("retention", 0.2)], {"crisis_protocol": true}).action == "annotate"
	judge(context, [finding("retention", 0.2)], {}).action == "pass"
}

test_findings_are_flagged_in_their_order if {
	d := judge(ctx("general", "US-TX", "adult"), [finding("guilt", 0.9), finding("joy", 0.9), finding("exit.fomo", 0.7)], {})
	d.flagged == [0, 2]
	d.reasons == {{
		"id": "output.manipulation.rewrite",
		"message": "Sentences using manipulative tactics (exit.fomo, guilt) were removed from the answer.",
		"citation": null,
	}}
}
