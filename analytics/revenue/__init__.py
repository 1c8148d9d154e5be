"""The revenue engine (issue 8): MaaS, SaaS, subscription and unit streams against compute cost; the monthly
model; metrics; Monte Carlo and tornado. Modules: ``spec`` (the scenario file), ``values`` (points and
ranges), ``cohorts`` (shared arithmetic), ``streams`` (engines), ``model`` (P&L and cash), ``metrics``,
``montecarlo``, ``editing`` (tables and what-ifs) and ``report`` (what the page and the CLI show)."""
