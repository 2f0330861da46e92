# Consent records: which purposes need one, and whether the one on file is valid.
#
# Each record carries its `state` at the time of the exchange ("valid", "withdrawn", "expired" or
# "pending"), stated by the consent store; this package decides what the states mean and never
# reads `input.now`, so the embedded engine can memoise admit decisions (docs/policies.md).
package guard.consent

import rego.v1

# Purposes that rest on the service itself, and exemption markers, need no consent.
consent_free(purpose) if {
	some free in data.purposes.without_consent
	free == purpose
} else := true if {
	some marker in data.purposes.markers
	marker == purpose
}

requires_consent(purpose) if not consent_free(purpose)

# Some record for the purpose is in this state.
in_state(consents, purpose, state) if {
	some record in consents
	record.purpose == purpose
	record.state == state
}

# "valid" | "withdrawn" | "expired" | "missing" for one purpose (a "pending" record, granted for
# later, counts as missing).
status(consents, purpose) := "valid" if {
	in_state(consents, purpose, "valid")
} else := "withdrawn" if {
	in_state(consents, purpose, "withdrawn")
} else := "expired" if {
	in_state(consents, purpose, "expired")
} else := "missing"

has_valid(consents, purpose) if status(consents, purpose) == "valid"

# A record without a string state: its status cannot be known (admit refuses, fail closed).
without_state(consents) if {
	some record in consents
	not is_string(record.state)
}
