// Empty translation unit that owns the tests' shared precompiled header.
