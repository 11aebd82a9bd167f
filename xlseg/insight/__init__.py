"""Analyses that answer questions about the whole table (stage "analyses": io, engine, spec below it).

* :func:`xlseg.insight.scan.scan` — which segments (one dimension, or a pair of values of two dimensions)
  stand out against the rest, with p-values Benjamini–Hochberg adjusted across every candidate tested.
* :func:`xlseg.insight.gap.gap` — why an overall number differs between two groups: Kitagawa's (1955)
  split of the gap into a rate effect (segments behave differently) and a mix effect (the groups are made
  of different segments), with a flag for Simpson's reversal.

Both work in two steps: per-group sufficient statistics from one pass over combined integer codes
(:mod:`xlseg.insight.sufficient`), then everything else from those statistics only, so the first step can
run in another engine (DuckDB, Spark, any Ibis backend: :mod:`xlseg.insight.pushdown`) and the second is
reused as it is.
"""
