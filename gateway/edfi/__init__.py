"""Ed-Fi data/v3 REST: resources, natural keys, descriptors, paging, change queries,
profiles and problem details, over the canonical store and the policy layer."""
