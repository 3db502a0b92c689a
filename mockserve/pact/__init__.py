"""Pact contracts: read a pact file, match requests and answers by its rules, verify, write.

`model` is the pact as frozen data, `reader` builds it from a file of any specification
version (V1 to V4), `rules` and `matching` compare a request or a response with an
interaction as the Pact specification says, `generators` fill V3/V4 generated values.
"""
