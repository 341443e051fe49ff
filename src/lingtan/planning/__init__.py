"""Green energy at the source (源头减碳): size on-site PV and battery storage against the
factory's own load and the province's time-of-use prices, as one linear programme.

Pure models on arrays, in the pvlib style (no I/O, explicit keyword parameters, units in names):

* :mod:`lingtan.planning.finance`: the capital recovery factor and annualised cost;
* :mod:`lingtan.planning.pv`: a capacity-factor series from weather with pvlib (PVWatts);
* :mod:`lingtan.planning.storage`: the state of charge of a battery for a dispatch;
* :mod:`lingtan.planning.sizing`: sizing and dispatch as one LP (linopy + HiGHS), with the
  infeasible explained through priced slacks.

:mod:`lingtan.planning.problem` reads the problem file (YAML, the load CSV, the EPW weather file,
prices per TOU period of a shipped calendar or a price CSV) and is the only module here that
touches files; docs/planning.md documents it.
"""
