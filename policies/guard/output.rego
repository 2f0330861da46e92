# Output: what happens to the model's answer, given the inspect stage's findings.
#
# Input: {context, findings: [{detector, label, score, start, end, source}], obligations}
# Entry: data.guard.output.decision ->
#   {allow, action: pass|annotate|rewrite|block, reasons, flagged: [finding index], threshold}
# `texts` (the locale texts the judge uses) is a separate entry: it depends on the context only.
package guard.output

import rego.v1

import data.guard.culture

ctx := input.context

obligations := object.get(input, "obligations", {})

findings := object.get(input, "findings", [])

crisis if obligations.crisis_protocol == true

default crisis := false

is_tactic(label) if label in data.thresholds.tactics

# Under the crisis protocol the persona's retention behaviour is suspended: those tactics are
# judged against a tighter threshold.
threshold(label) := culture.base_threshold * data.thresholds.crisis.factor if {
	crisis
	label in data.thresholds.crisis.tactics
} else := culture.base_threshold

response_finding(f) if object.get(f, "source", "response") == "response"

flagged := sort([i |
	some i
	f := findings[i]
	response_finding(f)
	is_tactic(f.label)
	f.score >= threshold(f.label)
])

near_misses := [i |
	some i
	f := findings[i]
	response_finding(f)
	is_tactic(f.label)
	f.score < threshold(f.label)
	f.score >= threshold(f.label) * data.thresholds.annotate_ratio
]

must_block if ctx.setting in data.thresholds.block_settings

must_block if ctx.age_band in data.thresholds.block_age_bands

default action := "pass"

action := "block" if {
	count(flagged) > 0
	must_block
}

action := "rewrite" if {
	count(flagged) > 0
	not must_block
}

action := "annotate" if {
	count(flagged) == 0
	count(near_misses) > 0
}

tactics := sort({findings[i].label | some i in flagged})

exploits_vulnerability if ctx.age_band == "minor"

exploits_vulnerability if {
	some t in tactics
	t in data.thresholds.vulnerability_tactics
}

citation := culture.vulnerability_citation if exploits_vulnerability

else := culture.manipulation_citation

# Messages are built with concat, not sprintf: regopy 1.5 quotes computed strings in sprintf.
action_words := {
	"block": ["The answer was withheld because it used manipulative tactics (", ") above the threshold for this setting."],
	"rewrite": ["Sentences using manipulative tactics (", ") were removed from the answer."],
}

reasons contains r if {
	action in {"block", "rewrite"}
	r := {
		"id": concat(".", ["output.manipulation", action]),
		"message": concat("", [action_words[action][0], concat(", ", tactics), action_words[action][1]]),
		"citation": citation,
	}
}

reasons contains r if {
	action == "annotate"
	labels := sort({findings[i].label | some i in near_misses})
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

# Locale texts depend on the context only; the engine asks for them separately and caches them.
texts := object.union(culture.texts, {"crisis": culture.crisis_text})

decision := {
	"allow": action != "block",
	"action": action,
	"reasons": reasons,
	"flagged": flagged,
	"threshold": culture.base_threshold,
}
