"""Generated gRPC code of the APIs in ``protos/`` (one subpackage per API version).

Regenerate with ``python scripts/gen_protos.py`` after editing a ``.proto``; the tests fail
when the committed code is stale. Only the server and client import these modules.
"""
