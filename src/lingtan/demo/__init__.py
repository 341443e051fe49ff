"""The demo factory: a lithium-battery cell plant in Jiangsu with a year of bills, meter
readings and evidence (:mod:`lingtan.demo.build`, :mod:`lingtan.demo.metering`), and its
dashboard sign-ins (:mod:`lingtan.demo.web`)."""
