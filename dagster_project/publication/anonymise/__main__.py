"""`python -m dagster_project.publication.anonymise --snapshot <file>` (`cli.main`)."""

import sys

from dagster_project.publication.anonymise.cli import main

if __name__ == "__main__":
    sys.exit(main())
