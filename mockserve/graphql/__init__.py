"""GraphQL endpoints: a schema (SDL or introspection) answered by seeded mock resolvers.

`schema` and `mocks` read and check what a spec says (the loader calls them, so they sit
below `spec`); `resolvers`, `http` and `endpoint` answer requests (above the stores).
Nothing is imported here, so loading a spec without GraphQL never imports graphql-core.
"""
