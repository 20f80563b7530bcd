"""LTI 1.3: the gateway as the platform of the district's learning tools (launches, Names and
Role Provisioning from the canonical roster), registrations of tools and LMSs. Reads of student
data go through the policy layer's read engine; store state through gateway.auth."""
