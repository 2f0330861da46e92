# Consent records: which purposes need one, and whether the one on file is valid now.
#
# Timestamps are UTC RFC 3339 strings in one fixed-width form ("2026-01-31T12:00:00.000000Z"),
# so they compare correctly as strings (the engine normalises them before evaluation).
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

withdrawn(record, now) if {
	not record.withdrawn_at == null
	record.withdrawn_at <= now
}

expired(record, now) if {
	not record.expires_at == null
	record.expires_at <= now
}

valid(record, now) if {
	record.granted_at <= now
	not withdrawn(record, now)
	not expired(record, now)
}

# "valid" | "withdrawn" | "expired" | "missing" for one purpose.
status(consents, purpose, now) := "valid" if {
	some record in consents
	record.purpose == purpose
	valid(record, now)
} else := "withdrawn" if {
	some record in consents
	record.purpose == purpose
	withdrawn(record, now)
} else := "expired" if {
	some record in consents
	record.purpose == purpose
	expired(record, now)
} else := "missing"

has_valid(consents, purpose, now) if status(consents, purpose, now) == "valid"
