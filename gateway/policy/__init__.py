"""The policy layer: agreements, field allowlists, org scoping, opt-outs, disclosures.

Every read of student data goes through here; no endpoint queries the store around it.
"""
