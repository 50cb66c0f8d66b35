"""Look match engines: learn a grade (CDL + 3D LUT) from pairs, match shots, write look files.

Colour goes through OpenColorIO's built-in ``studio-config-v4.0.0_aces-v2.0_ocio-v2.5``;
looks are fitted in ACEScct unless told otherwise. Modules: ``spaces`` (colour spaces),
``cdl`` (ASC CDL), ``lattice`` (3D LUT fitting), ``fit`` (look from pairs), ``balance``
(per-shot balance statistics and estimator), ``two_layer`` (per-pair balances fitted with one
shared look), ``match`` (shot match), ``files`` (.cube/.cc/.ccc/.cdl/.clf), ``apply`` (OCIO processors), ``summary``.
Nothing heavy is imported here.
"""
