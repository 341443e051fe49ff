"""Green energy at the source (源头减碳): size on-site PV, wind, battery storage, heat pumps,
electric boilers and heat storage against the factory's own load and heat load, the province's
time-of-use prices and demand charge, with green power and GECs to buy, as one linear
programme; the cost–emissions trade-off and a day-ahead dispatch on top of it.

Pure models on arrays, in the pvlib style (no I/O, explicit keyword parameters, units in names):

* :mod:`lingtan.planning.finance`: the capital recovery factor and annualised cost; a plan's
  cash flows, NPV, IRR and paybacks against doing nothing;
* :mod:`lingtan.planning.pv`: a capacity-factor series from weather with pvlib (PVWatts);
* :mod:`lingtan.planning.wind`: a capacity-factor series from a power curve and wind speeds;
* :mod:`lingtan.planning.heat`: the heat pump's COP (Carnot form);
* :mod:`lingtan.planning.storage`: the state of charge of a battery for a dispatch;
* :mod:`lingtan.planning.sizing`: sizing and dispatch as one LP (linopy + HiGHS), with the
  infeasible explained through priced slacks;
* :mod:`lingtan.planning.dispatch`: the Pareto front by the emissions cap, and the rolling
  day-ahead dispatch of an existing battery.

:mod:`lingtan.planning.problem` reads the problem file (YAML, the load and heat CSVs, the EPW
weather file, the power curve, prices per TOU period of a shipped calendar or a price CSV, the
boiler fuel's factors from the library) and is the only module here that touches files;
docs/planning.md documents it.
"""
