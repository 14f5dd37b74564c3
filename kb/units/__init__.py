"""Units as master data: the catalog (``catalog``), its table (``store``, migration 8 in ``schema``),
unit files and the bundled 广东省 data (``rows``, ``data/``) and the admin service (``service``).

``kernel.units`` is the catalog every feature validates unit-valued fields against.
"""
