"""What the NNAPI delegate decides per operator and per graph.

`context` (OpContext, the `@rule` registry), `predicates` (the shared Expect* checks), `ops/`
(one Validate case per builtin), `engine` (running them), `graph_checks`, `fp16`, `tensor_checks`
(what happens outside Validate), `nnapi_ops` (the NNAPI operations an operator becomes),
`spec_check` (NNAPI specification warnings), `docs` (rule documentation for `explain`).
"""
