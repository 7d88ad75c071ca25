"""`python -m dagster_project.keys`: create or inspect pseudonymisation key files."""

from dagster_project.pseudonymise.keys import main

if __name__ == "__main__":
    raise SystemExit(main())
