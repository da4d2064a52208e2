"""The ``kg`` command line: a thin layer over the library (each command makes one library call)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click

from kg.errors import KgError
from kg.store import GRAPHS_DIR, STORE_DIR

OUT_HELP = "Output folder of `kg build`."
FORMATS = ("table", "csv", "tsv", "json", "sparql-json", "turtle")


def out_option(f):
    return click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("outputs"), show_default=True, help=OUT_HELP)(f)


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True,
                        help="How to print the results (a CONSTRUCT/DESCRIBE answer prints as Turtle).")(f)


def endpoint_option(f):
    return click.option("--endpoint", metavar="URL", envvar="KG_ENDPOINT",
                        help="Query this SPARQL server instead of OUT/store (Oxigraph's base URL, "
                             "or a query URL ending in /query or /sparql; env KG_ENDPOINT).")(f)


def _store(out: Path, endpoint: str | None):
    """The store a query runs on: the SPARQL server at ``endpoint``, else the one built in ``out``."""
    if endpoint:
        from kg.remote import endpoint as remote_endpoint

        return remote_endpoint(endpoint)
    from kg.store import open_store

    return open_store(out)


def _post_paths(paths: tuple[str, ...], samples: bool) -> list:
    from kg.ingest import sample_paths

    if samples:
        return [*paths, *sample_paths()]
    if not paths:
        raise click.UsageError("give post files or folders, or --samples for the packaged samples")
    return list(paths)


class KgGroup(click.Group):
    """Exit codes: 0 done (warnings may have been printed), 1 an error kg explains in one line (bad
    input, a locked or missing store), 2 a wrong command line, 3 a bug in kg, 130 interrupted.
    Tracebacks only with --debug."""

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
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as e:  # a bug in kg: one line, the traceback only with --debug
            if (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"Error: internal error ({type(e).__name__}: {e}); run `kg --debug …` "
                       "for the traceback and report it", err=True)
            ctx.exit(3)


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


class _Bar:
    """The progress of a build on stderr: a bar (posts, entries, rate) on a terminal, nothing in a pipe;
    with ``verbose`` a line per post read instead."""

    def __init__(self, verbose: bool) -> None:
        import sys

        self.verbose, self.bar, self.entries = verbose, None, 0
        self.tty = sys.stderr.isatty()

    def start(self, total: int) -> None:
        import time

        self.t0 = time.perf_counter()
        if self.tty and not self.verbose and total > 1:
            self.bar = click.progressbar(length=total, label="reading posts", file=click.get_text_stream("stderr"),
                                         item_show_func=lambda _: self._status(), show_pos=True)
            self.bar.__enter__()

    def _status(self) -> str:
        import time

        done = self.bar.pos if self.bar else 0
        rate = done / max(time.perf_counter() - self.t0, 1e-9)
        return f"{self.entries} entries, {rate:.0f} posts/s"

    def advance(self, path: str, entries: int, skipped: bool) -> None:
        self.entries += entries
        if self.verbose:
            click.echo(f"{'skipped' if skipped else 'read'} {path} ({entries} entries)", err=True)
        elif self.bar:
            self.bar.update(1, path)

    def close(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--samples", is_flag=True, help="Also build the sample posts shipped with kg.")
@out_option
@click.option("--prune", is_flag=True, help="Remove the graphs of posts that an earlier build into OUT read "
              "but that PATHS no longer hold (without it they are kept).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes that read posts  [default: one per core]")
@click.option("--verbose", "-v", is_flag=True, help="Print a line for each post read.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors: no progress, warnings or summary.")
@click.option("--endpoint", metavar="URL", help="Also load each post's named graph into this SPARQL "
              "server (Graph Store Protocol PUT, replacing the post's graph; the graphs of posts this build "
              "removed are deleted there): Oxigraph's base URL or a query URL.")
@click.option("--graph-store", metavar="URL", help="The server's Graph Store Protocol URL  [default: BASE/store]")
def build(paths: tuple[Path, ...], samples: bool, out: Path, prune: bool, jobs: int | None, verbose: bool,
          quiet: bool, endpoint: str | None, graph_store: str | None) -> None:
    """Build the graph of the posts in PATHS (files or folders, searched recursively).

    Writes OUT/store (embedded Oxigraph), OUT/graphs/ (a TriG file per post, holding its
    named graph, and one for the gazetteer graph) and OUT/manifest.json. A second build reads only the posts that changed and replaces their
    graphs; the result is the same as a clean build. A post that cannot be read is skipped
    with a warning; nothing in OUT changes until the new graph is complete.

    \b
    Example:
        kg build ../shared/corpus/dev --out outputs
        kg build ../shared/corpus/dev --prune          # also drop posts deleted since
        kg build ../shared/corpus/dev --endpoint http://127.0.0.1:7878
    """
    from kg.build import build as run_build

    bar = _Bar(verbose) if not quiet else None
    try:
        r = run_build(_post_paths(paths, samples), out, prune=prune, workers=jobs, progress=bar)
    finally:
        if bar:
            bar.close()
    if not quiet:
        for w in r.warnings:
            click.echo(f"warning: {w}", err=True)
        how = f"{r.read} read, {r.unchanged} unchanged" + (f", {len(r.skipped)} skipped" if r.skipped else "") \
            + (f", {r.removed} removed" if r.removed else "") \
            + (f", {r.kept} kept from earlier builds (--prune drops them)" if r.kept else "")
        click.echo(f"built {r.posts} posts ({how}), {r.entries} entries, {r.papers} papers, {r.facts} facts, "
                   f"{r.quads} quads, {len(r.warnings)} warnings in {r.seconds:.2f}s "
                   f"→ {r.out_dir / STORE_DIR}, {r.out_dir / GRAPHS_DIR}/")
    if endpoint or graph_store:
        from kg.remote import endpoint as remote_endpoint
        from kg.remote import load_dump

        loaded = load_dump(r.out_dir, remote_endpoint(endpoint or graph_store, graph_store), r.removed_graphs)
        if not quiet:
            gone = f", removed {loaded.removed}" if loaded.removed else ""
            click.echo(f"loaded {loaded.graphs} named graphs, {loaded.triples} triples{gone} → {loaded.store_url}")


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
        usage = {p.name: f"--{p.name.replace('_', '-')}" + ("" if p.kind == "flag" else f" {p.kind.upper()}")
                 for p in q.params}
        params = " ".join(f"[{usage[p.name]}]" if p.optional else usage[p.name] for p in q.params)
        click.echo(f"{q.name} {params}".rstrip())
        click.echo(f"    {q.description}")
        for p in q.params:
            example = f" (e.g. {p.example!r})" if p.kind != "flag" else ""
            click.echo(f"    --{p.name.replace('_', '-')}: {p.description}{example}")


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
        @endpoint_option
        def run(out: Path, fmt: str, endpoint: str | None, **params: str | None) -> None:
            from kg.query import format_result, run_named

            given = {k: v for k, v in params.items() if v is not None and v is not False}
            endpoint = endpoint or click.get_current_context().parent.params.get("endpoint")
            click.echo(format_result(run_named(_store(out, endpoint), q.name, **given), fmt), nl=False)

        for p in reversed(q.params):
            if p.kind == "flag":  # a switch: --include-parts
                run = click.option(f"--{p.name.replace('_', '-')}", p.name, is_flag=True, help=p.description)(run)
            else:
                run = click.option(f"--{p.name.replace('_', '-')}", p.name, metavar=p.kind.upper(), default=None,
                                   required=not p.optional, help=f"{p.description} (e.g. {p.example!r})")(run)
        example = " ".join([f"kg query {q.name}"] + [f'--{p.name} "{p.example}"' for p in q.params
                                                       if not p.optional or p is q.params[0]])
        return click.command(name, help=f"{q.description}\n\n\b\nExample:\n    {example}",
                             short_help=q.description)(run)


@cli.group(cls=QueryGroup, invoke_without_command=True)
@click.option("--sparql", help="SPARQL text to run instead of a named query.")
@click.option("-f", "--file", "file", type=click.File(encoding="utf-8"), help="File of SPARQL to run.")
@out_option
@format_option
@endpoint_option
@click.pass_context
def query(ctx: click.Context, sparql: str | None, file, out: Path, fmt: str, endpoint: str | None) -> None:
    """Run a named query (see `kg queries`) or your own SPARQL against the graph.

    Parameters are bound as RDF terms, never pasted into the query text. With --endpoint the
    same queries run on a SPARQL server. A syntax error names the line and column.

    \b
    Examples:
        kg query papers-with-code --venue "AAAI 2019" --format json
        kg query papers-by-institution --institution 清华
        kg query --sparql "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        kg query --endpoint http://127.0.0.1:7878 venues --format csv
    """
    if ctx.invoked_subcommand:
        return
    if (sparql is None) == (file is None):
        raise click.UsageError("give a query NAME, or exactly one of --sparql and -f/--file")
    from kg.query import format_result, run_query

    text, source = (sparql, None) if sparql is not None else (file.read(), file.name)
    click.echo(format_result(run_query(_store(out, endpoint), text, source=source), fmt), nl=False)


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
        raise click.ClickException(f"{len(report.errors)} SHACL violations in {out / GRAPHS_DIR}/")
    click.echo(f"{out / GRAPHS_DIR}/ conforms to the kg shapes")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "tsv", "json")), default="table",
              show_default=True)
@out_option
@endpoint_option
def stats(fmt: str, out: Path, endpoint: str | None) -> None:
    """Count what the built graph holds: posts, entries, papers (with code, with a venue), venues,
    topics, institutions, datasets, methods, tasks, metrics, people, recommenders, code
    repositories and facts.

    \b
    Example:
        kg stats --out outputs
    """
    from kg.results import format_result
    from kg.stats import graph_stats

    click.echo(format_result(graph_stats(_store(out, endpoint)), fmt), nl=False)


@cli.command()
@click.option("--what", type=click.Choice(("institutions",)), default="institutions", show_default=True,
              help="Which nodes to list.")
@click.option("--format", "fmt", type=click.Choice(("csv", "tsv", "json")), default="csv", show_default=True)
@out_option
@endpoint_option
def export(what: str, fmt: str, out: Path, endpoint: str | None) -> None:
    """Print the built graph's institutions as a table, with their ROR and Wikidata IRIs.

    One row per institution: IRI, label, English and Chinese names, ROR IRI, Wikidata IRIs,
    parent organisations, number of papers; join it with OpenAlex, Wikidata or funders' data.

    \b
    Example:
        kg export --what institutions --format csv > institutions.csv
    """
    from kg.export import export_table
    from kg.results import format_result

    click.echo(format_result(export_table(_store(out, endpoint), what), fmt), nl=False)


@cli.command()
@out_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 opens the endpoint to the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="Port (0: any free one).")
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds a query may run before it is refused with 503.")
@click.option("--cors", is_flag=True, help="Let pages from other origins (e.g. a hosted YASGUI) query it.")
def serve(out: Path, host: str, port: int, timeout: float, cors: bool) -> None:
    """Serve the built graph as a read-only SPARQL 1.1 endpoint, with a query page at /.

    Any SPARQL client works (curl, SPARQLWrapper, rdflib's SPARQLStore, YASGUI); updates and
    SERVICE are refused and each query has a time limit. Needs the Oxigraph server program
    (pip install "kg[serve]"). Stop it with Ctrl+C.

    \b
    Example:
        kg serve --port 7878 &
        curl -H "Accept: text/csv" http://127.0.0.1:7878/sparql --data-urlencode "query=SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    """
    from kg.serve import start

    server = start(out, host, port, timeout, cors, log=lambda line: click.echo(line, err=True))
    click.echo(f"SPARQL endpoint {server.url} (query page at {server.url[:-len('sparql')]}); Ctrl+C stops it")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops it as Ctrl+C does
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _query_params(args: list[str]) -> dict[str, str]:
    """``--venue "AAAI 2019" --topic=x --include-parts`` after ``kg viz --query NAME`` →
    {"venue": …, "topic": …, "include_parts": "true"} (a switch with no value is true).

    >>> _query_params(["--institution", "微软", "--include-parts", "--year=2019"])
    {'institution': '微软', 'include_parts': 'true', 'year': '2019'}
    """
    params, rest = {}, list(args)
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("--") or len(arg) == 2:
            raise click.UsageError(f"unexpected argument {arg!r}; query parameters look like --venue VALUE")
        name, eq, value = arg[2:].partition("=")
        if not eq:
            value = "true" if not rest or rest[0].startswith("--") else rest.pop(0)
        params[name.replace("-", "_")] = value
    return params


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--focus", metavar="ENTITY", help="Draw what lies around ENTITY (any label or alias, or a paper id like pw2654).")
@click.option("--query", "query_name", metavar="NAME", help="Draw what named query NAME returns (its parameters follow: --venue …).")
@click.option("--depth", type=click.IntRange(0, 10), help="Links around the focus or the query's results  [default: 2 with --focus, 1 with --query]")
@click.option("--types", metavar="TYPE,…", help="Node types to draw, e.g. paper,org,venue, or all  [default: all but post]")
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True, help="Language of the labels.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write  [default: OUT/viz.html, OUT/viz-focus-….html, OUT/viz-query-….html]")
@click.option("--max-nodes", type=click.IntRange(1), default=2000, show_default=True,
              help="Most nodes a page holds; the rest are left out (and listed).")
@out_option
@click.pass_context
def viz(ctx: click.Context, focus: str | None, query_name: str | None, depth: int | None, types: str | None,
        lang: str, output: Path | None, max_nodes: int, out: Path) -> None:
    """Write an interactive page of the graph that opens from disk, with no network.

    Node colour and shape show the type, size the number of links; hover for a card, click to
    highlight neighbours, search any label, filter by type, venue and year.

    \b
    Examples:
        kg viz
        kg viz --focus 清华 --depth 2
        kg viz --query papers-with-code --venue "AAAI 2019" --types paper,org,venue,code
    """
    from kg.store import open_store
    from kg.viz import select
    from kg.vizpage import left_out_message, page_name, render_page, write_page

    if ctx.args and query_name is None:
        raise click.UsageError(f"unexpected arguments {' '.join(ctx.args)!r} (query parameters need --query)")
    params = _query_params(ctx.args) if query_name else None
    chosen = [t.strip() for t in types.split(",") if t.strip()] if types else None
    selection = select(open_store(out), focus=focus, query=query_name, params=params, depth=depth,
                       types=chosen, max_nodes=max_nodes)
    path = write_page(render_page(selection, lang=lang), output or out / page_name(focus, query_name))
    note = left_out_message(selection, max_nodes)
    if note:
        click.echo(note, err=True)
    G = selection.graph
    click.echo(f"wrote {path}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kg")
