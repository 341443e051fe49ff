"""Energy cost: tariffs as data with their source (:mod:`lingtan.cost.tariffs`) and the cost of
metered energy under them (:mod:`lingtan.cost.charges`). Pure functions on plain data; the
store side is :mod:`lingtan.services.cost`."""
