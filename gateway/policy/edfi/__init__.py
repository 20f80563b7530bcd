"""The SQL behind Ed-Fi reads and writes: subsets, query by example, change queries, ids,
the rows a page references. Only the policy layer reads the store; gateway/edfi translates."""
