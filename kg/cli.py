"""The ``kg`` command line: a thin layer over the library (each command makes one library call)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.errors import KgError
from kg.store import DUMP_FILE, STORE_DIR

OUT_HELP = "Output folder of `kg build`."
FORMATS = ("table", "csv", "tsv", "json")


def out_option(f):
    return click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("outputs"), show_default=True, help=OUT_HELP)(f)


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="How to print the results.")(f)


def _post_paths(paths: tuple[str, ...], samples: bool) -> list:
    from kg.ingest import sample_paths

    if samples:
        return [*paths, *sample_paths()]
    if not paths:
        raise click.UsageError("give post files or folders, or --samples for the packaged samples")
    return list(paths)


class KgGroup(click.Group):
    """Turns kg's own errors into one-line click errors (exit code 1), unless --debug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KgError as e:
            if (ctx.obj or {}).get("debug"):
                raise
            raise click.ClickException(str(e)) from None
        except OSError as e:
            if (ctx.obj or {}).get("debug"):
                raise
            raise click.ClickException(f"{e.filename or ''}: {e.strerror or e}") from None


@click.group(cls=KgGroup)
@click.version_option(package_name="kg")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """kg: PaperWeekly PaperDaily posts → a knowledge graph you can query.

    \b
    Example:
        kg build ../shared/corpus/dev && kg query papers-with-code --venue "AAAI 2019"
    """
    ctx.obj = {"debug": debug}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--samples", is_flag=True, help="Also build the sample posts shipped with kg.")
@out_option
def build(paths: tuple[Path, ...], samples: bool, out: Path) -> None:
    """Build the graph of the posts in PATHS (files or folders, searched recursively).

    Writes OUT/store (embedded Oxigraph) and OUT/graph.trig (one named graph per post).
    A bad post stops the build and leaves the previous one untouched.

    \b
    Example:
        kg build ../shared/corpus/dev --out outputs
    """
    from kg.build import build as run_build

    r = run_build(_post_paths(paths, samples), out)
    click.echo(f"built {r.posts} posts, {r.entries} entries, {r.papers} papers, {r.quads} quads "
               f"in {r.seconds:.2f}s → {r.out_dir / STORE_DIR}, {r.out_dir / DUMP_FILE}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--samples", is_flag=True, help="Also read the sample posts shipped with kg.")
@click.option("--format", "fmt", type=click.Choice(("jsonl", "table")), default="jsonl", show_default=True)
def extract(paths: tuple[Path, ...], samples: bool, fmt: str) -> None:
    """Print the entries found in PATHS, one JSON object per entry (or a table).

    \b
    Example:
        kg extract ../shared/corpus/dev --format jsonl > entries.jsonl
    """
    from kg.parse import parse_paths
    from kg.records import entry_record, entries_table

    parsed = parse_paths(_post_paths(paths, samples))
    if fmt == "table":
        click.echo(entries_table([e for _, entries in parsed for e in entries]), nl=False)
        return
    for _, entries in parsed:
        for entry in entries:
            click.echo(json.dumps(entry_record(entry), ensure_ascii=False))


@cli.command()
def queries() -> None:
    """List the named queries with their parameters.

    \b
    Example:
        kg queries
    """
    from kg.query import named_queries

    for q in named_queries().values():
        params = " ".join(f"[--{p.name} {p.example!r}]" if p.optional else f"--{p.name} {p.example!r}"
                          for p in q.params)
        click.echo(f"{q.name} {params}".rstrip())
        click.echo(f"    {q.description}")


class QueryGroup(click.Group):
    """``kg query NAME`` for every named query, plus ``kg query --sparql``/``-f``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from kg.query import named_queries

        return sorted(named_queries())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from kg.query import named_queries

        q = named_queries().get(name)
        if q is None:
            return None

        @out_option
        @format_option
        def run(out: Path, fmt: str, **params: str | None) -> None:
            from kg.query import format_result, run_named
            from kg.store import open_store

            given = {k.replace("_", "-"): v for k, v in params.items() if v is not None}
            click.echo(format_result(run_named(open_store(out), q.name, **given), fmt), nl=False)

        for p in reversed(q.params):
            run = click.option(f"--{p.name}", default=None, required=not p.optional,
                               help=f"{p.description} (e.g. {p.example!r})")(run)
        return click.command(name, help=f"{q.description}", short_help=q.description)(run)


@cli.group(cls=QueryGroup, invoke_without_command=True)
@click.option("--sparql", help="SPARQL text to run instead of a named query.")
@click.option("-f", "--file", "file", type=click.File(encoding="utf-8"), help="File of SPARQL to run.")
@out_option
@format_option
@click.pass_context
def query(ctx: click.Context, sparql: str | None, file, out: Path, fmt: str) -> None:
    """Run a named query (see `kg queries`) or your own SPARQL against the graph.

    Parameters are bound as RDF terms, never pasted into the query text.

    \b
    Examples:
        kg query papers-with-code --venue "AAAI 2019" --format json
        kg query --sparql "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    """
    if ctx.invoked_subcommand:
        return
    if (sparql is None) == (file is None):
        raise click.UsageError("give a query NAME, or exactly one of --sparql and -f/--file")
    from kg.query import format_result, run_query
    from kg.store import open_store

    click.echo(format_result(run_query(open_store(out), sparql if sparql is not None else file.read()), fmt), nl=False)


@cli.command()
@out_option
def validate(out: Path) -> None:
    """Check the built graph against kg's SHACL shapes; exit 1 on any violation.

    \b
    Example:
        kg validate --out outputs
    """
    from kg.validate import validate_outputs

    report = validate_outputs(out)
    if not report.conforms:
        click.echo(report.text)
        raise click.ClickException(f"{len(report.errors)} SHACL violations in {out / DUMP_FILE}")
    click.echo(f"{out / DUMP_FILE} conforms to the kg shapes")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kg")
