"""`drainverify cost`: when does the masked drain pay?  A cost model driven by the model.

Mel Gorman's review question on "[PATCH v4 5/5] mm: Only IPI CPUs to drain local
pages if they exist" (lkml, December 2011): "Does reducing the number of IPIs
offset the cost of calling into the allocator again? ... it would heavily depend
on the number of CPUs and how many of them have pages in their per-cpu buffer."

This package answers it with numbers whose *counts* come from running the
executable model (`model.runtime.Runtime`) and whose *prices* are named,
documented, overridable parameters (`cost.params`):

* `cost.params`    -- the price list (ns per IPI, per idle wake-up, per count
                      load, per mask allocation...) with the source of each default;
* `cost.variants`  -- Mel's two-pass proposal as a model variant (not in the corpus);
* `cost.runner`    -- builds scenarios, runs the model to completion, counts events,
                      caches the counts (memory and disk) and samples the CPU axis;
* `cost.workloads` -- hackbench-like churn, a memory-pressure phase ending in direct
                      reclaim, an isolated-CPU layout: occupancy they produce and the
                      counts each variant's drain then makes;
* `cost.pricing`   -- expected cost of one drain_all_pages() from counts x prices,
                      break-even occupancy per CPU count, SLUB slab sizes;
* `cost.study`     -- the sweep over CPUs x occupancy and the workloads, as one
                      JSON-able result;
* `cost.report`    -- JSON, plots (PNG/SVG), the reviewer's summary paragraph,
                      `figures_for_html()`;
* `cost.cli`       -- the `drainverify cost` subcommand.

What is modelled and what is simplified is said in each module's docstring and in
docs/cost.md.
"""
