"""Frozen, typed records of what the graph stores (issue #9).

A record is the only mapping between a stored node's camelCase properties and Python values:
``from_row`` reads a projected row, ``to_params`` gives the properties to write. JSON kept in a
string property is decoded and encoded by ``codec`` only. Nothing above ``graph/`` sees a row.
"""
