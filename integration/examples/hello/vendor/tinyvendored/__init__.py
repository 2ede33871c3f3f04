"""A vendored package, unpacked as Chalice's docs describe."""
VALUE = 1
