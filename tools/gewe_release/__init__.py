"""`make diff`, `make bump`, the release part of `make check`: what changed since the base, and the
version and CHANGELOG.md that follow from it (see README, "Releasing")."""
