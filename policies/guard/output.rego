# Output: what happens to the model's answer, given the inspect stage's findings.
#
# Input: {context, findings: [{detector, label, score, start, end, source}], obligations}
# Entry: data.guard.output.decision ->
#   {allow, action: pass|annotate|rewrite|block, reasons, flagged: [finding index], threshold}
# `texts` (the locale texts the judge uses) is a separate entry: it depends on the context only.
#
# Written for the embedded engine's cost model (docs/policies.md): findings are read from the
# input directly, and the work for a manipulative answer is only done when there is one.
package guard.output

import rego.v1

import data.guard.culture

ctx := input.context

default obligations := {}

obligations := input.obligations

default crisis := false

crisis if obligations.crisis_protocol == true

is_tactic(label) if label in culture.thresholds.tactics

# Under the crisis protocol the persona's retention behaviour is suspended: those tactics are
# judged against a tighter threshold.
threshold(label) := culture.base_threshold * culture.thresholds.crisis.factor if {
	crisis
	label in culture.thresholds.crisis.tactics
} else := culture.base_threshold

# [index, score, threshold] of each finding about the answer (not the request) that names a
# manipulation tactic, in finding order (the scan goes through the array in order).
judged := [[i, f.score, threshold(f.label)] |
	some i
	f := input.findings[i]
	object.get(f, "source", "response") == "response"
	is_tactic(f.label)
]

flagged := [i | some [i, score, limit] in judged; score >= limit]

near_misses := [i |
	some [i, score, limit] in judged
	score < limit
	score >= limit * culture.thresholds.annotate_ratio
]

must_block if ctx.setting in culture.thresholds.block_settings

must_block if ctx.age_band in culture.thresholds.block_age_bands

action := "block" if {
	some _ in flagged
	must_block
} else := "rewrite" if {
	some _ in flagged
} else := "annotate" if {
	some _ in near_misses
} else := "pass"

tactics := sort({input.findings[i].label | some i in flagged})

exploits_vulnerability if ctx.age_band == "minor"

exploits_vulnerability if {
	some t in tactics
	t in culture.thresholds.vulnerability_tactics
}

citation := culture.vulnerability_citation if exploits_vulnerability

else := culture.manipulation_citation

# Messages are built with concat, not sprintf: regopy 1.5 quotes computed strings in sprintf.
reasons contains r if {
	action == "block"
	r := {
		"id": "output.manipulation.block",
		"message": concat("", [
			"The answer was withheld because it used manipulative tactics (", concat(", ", tactics),
			") above the threshold for this setting.",
		]),
		"citation": citation,
	}
}

reasons contains r if {
	action == "rewrite"
	r := {
		"id": "output.manipulation.rewrite",
		"message": concat("", ["Sentences using manipulative tactics (", concat(", ", tactics), ") were removed from the answer."]),
		"citation": citation,
	}
}

reasons contains r if {
	action == "annotate"
	labels := sort({input.findings[i].label | some i in near_misses})
	r := {
		"id": "output.manipulation.annotate",
		"message": concat("", ["Possible manipulative tactics (", concat(", ", labels), ") below the threshold; flagged for review."]),
		"citation": null,
	}
}

reasons contains r if {
	crisis
	r := {
		"id": "output.crisis_resource",
		"message": "A crisis resource was added to the answer and retention tactics were judged more strictly.",
		"citation": null,
	}
}

default allow := true

allow := false if action == "block"

# Locale texts depend on the context only; the engine asks for them separately and caches them.
texts := object.union(culture.texts, {"crisis": culture.crisis_text})

decision := {
	"allow": allow,
	"action": action,
	"reasons": reasons,
	"flagged": flagged,
	"threshold": culture.base_threshold,
}
