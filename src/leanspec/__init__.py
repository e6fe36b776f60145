"""leanspec: LeanSpec-compatible spec-driven development toolkit.

The public Python API is the ``Project`` façade (``leanspec.project``), the ``Spec``
value (``leanspec.model``) and the error tree (``leanspec.errors``). They are not
imported here so that ``lean-spec --version`` stays instant.
"""

__version__ = "0.1.0"
