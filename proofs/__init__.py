"""Z3 encodings of the property ladder (see proofs/README.md)."""
