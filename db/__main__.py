"""``python -m db upgrade | downgrade [REV] | current | demo | backup WS FILE | restore FILE`` — the database CLI.

Every command reads ``DATABASE_URL`` (default: the embedded SQLite file).
"""

from __future__ import annotations

import argparse
import re
import sys

from alembic.util import CommandError
from sqlalchemy.exc import ArgumentError, InternalError, OperationalError

import db.history  # noqa: F401 - registers the change-history listener
from db import migrate, repo
from db.demo import create_demo_workspace, ensure_demo
from db.engine import database_url, make_engine, make_session_factory
from db.transaction import StorageError, describe_storage_error, transaction
from db.validation import ValidationError


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; 0 on success, 2 with a one-line message on any refusal (never a traceback)."""
    try:
        return _run(argv)
    except (ValidationError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except CommandError as exc:  # e.g. an unknown revision
        print(f"error: {exc}", file=sys.stderr)
    except ArgumentError as exc:  # a DATABASE_URL SQLAlchemy cannot parse or load
        print(f"error: DATABASE_URL is not a database URL SQLAlchemy understands ({exc})", file=sys.stderr)
    except (OperationalError, InternalError) as exc:
        print(f"error: {describe_storage_error(exc)}", file=sys.stderr)
    return 2


def _run(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="migrate the database to the newest revision")
    down = sub.add_parser("downgrade", help="migrate down to REV (default: base, i.e. empty)")
    down.add_argument("revision", nargs="?", default="base")
    sub.add_parser("current", help="print the database's revision")
    demo = sub.add_parser("demo", help="create the demo workspace (only if the database has none)")
    demo.add_argument("--force", action="store_true", help="add another demo workspace even if some exist")
    backup = sub.add_parser("backup", help="write a workspace (id or name) to a JSON backup FILE")
    backup.add_argument("workspace")
    backup.add_argument("file")
    restore = sub.add_parser("restore", help="restore a JSON backup FILE into a new workspace")
    restore.add_argument("file")
    restore.add_argument("--name", help="name of the new workspace (default: the backup's, made unique)")
    args = parser.parse_args(argv)

    url = database_url()
    if args.command == "upgrade":
        migrate.upgrade(url)
        print(f"database at {migrate.current_revision(make_engine(url))}: {_redacted(url)}")
    elif args.command == "downgrade":
        known = ["base", *migrate.revisions()]
        if args.revision not in known and not re.fullmatch(r"-[1-9]\d{0,3}", args.revision):
            print(f"error: unknown revision {args.revision!r}; use one of {', '.join(known)} or -N", file=sys.stderr)
            return 2
        migrate.downgrade(url, args.revision)
        print(f"database at {migrate.current_revision(make_engine(url))}")
    elif args.command == "current":
        print(migrate.current_revision(make_engine(url)) or "empty (not migrated)")
    elif args.command == "demo":
        engine = make_engine(url)
        head, current = migrate.revisions()[-1], migrate.current_revision(engine)
        if current != head:
            print(f"error: the database is at revision {current or 'none'}, not {head}: "
                  "run `python -m db upgrade` first", file=sys.stderr)
            return 2
        factory = make_session_factory(engine)
        with transaction(factory, actor="demo") as session:
            if args.force:
                number = len(repo.list_workspaces(session=session)) + 1
                ws = create_demo_workspace(session=session, name=f"Lexora AI (demo {number})")
            else:
                ws = ensure_demo(session=session)
            print(f"created demo workspace {ws.name!r}" if ws else "the database has a workspace; no demo added")
    elif args.command in ("backup", "restore"):
        from db.io.cli import backup_command, restore_command

        engine = make_engine(url)
        head, current = migrate.revisions()[-1], migrate.current_revision(engine)
        if current != head:
            print(f"error: the database is at revision {current or 'none'}, not {head}: "
                  "run `python -m db upgrade` first", file=sys.stderr)
            return 2
        factory = make_session_factory(engine)
        if args.command == "backup":
            return backup_command(factory, args.workspace, args.file)
        return restore_command(factory, args.file, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
