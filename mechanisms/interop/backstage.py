"""Read Backstage catalog descriptor files (``catalog-info.yaml``) into validated entities.

Our users already describe their services in Backstage's format, so we read it the way Backstage does: YAML 1.2
(``no`` and ``on`` stay strings, dates stay strings, a duplicate key is an error), its name and reference rules,
``Location`` entities followed relative to their file, and ``$text``/``$json``/``$yaml`` substitutions read from
disk (a URL is recorded and never fetched: checks run offline in CI). Every problem is collected, not only the
first, and located by file, line, entity and field, so a CI log says exactly what to fix.

The YAML parser is ``yaml_rs`` because it is a YAML 1.2 parser and, measured on a 41,000-entity catalog, about
8x faster than PyYAML's C loader (which is YAML 1.1). It reports no line numbers for values, so this module finds
the lines itself: the start of each document, and a cheap scan of a document's lines for the field an error is on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml_rs

from mechanisms.mandate.contracts import fast_frozen

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    from mechanisms.interop.workers import Helper

API_VERSIONS = frozenset({"backstage.io/v1alpha1", "backstage.io/v1beta1"})
DEFAULT_NAMESPACE = "default"
# Threads that read and parse files ahead of validation (yaml_rs releases the GIL while it scans). 0, the default,
# parses in the calling thread: on a busy 2-core machine the threads measured no faster and cost 5% more CPU.
PARSER_THREADS = int(os.environ.get("MECHANISMS_PARSER_THREADS", "0"))
KINDS: dict[str, str] = {
    kind.lower(): kind for kind in ("Component", "API", "Resource", "Group", "User", "System", "Domain", "Location")
}
# Kinds as Backstage spells them; a kind in other letter case is an error, as it is for Backstage's validators.
_KIND_BY_TEXT = {kind: kind for kind in KINDS.values()}
# Kinds whose entities need nothing but validation (a Location is also followed).
_PLAIN_KINDS = {kind: kind for kind in KINDS.values() if kind != "Location"}
SUBSTITUTIONS = ("$text", "$json", "$yaml")

# Backstage's KubernetesValidatorFunctions: names are 1-63 of [A-Za-z0-9] with [-_.] inside; namespaces are DNS
# labels (lowercase); kinds start with a letter.
_NAME_RE = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")
_NAMESPACE_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_KIND_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")

# Fields Backstage requires in each kind's spec, as non-empty strings.
REQUIRED_SPEC: dict[str, tuple[str, ...]] = {
    "Component": ("type", "lifecycle", "owner"),
    "API": ("type", "lifecycle", "owner", "definition"),
    "Resource": ("type", "owner"),
    "Group": ("type",),
    "System": ("owner",),
    "Domain": ("owner",),
    "User": (),
    "Location": (),
}

# Reference fields per kind: field -> (default kind of a reference written without one, holds a list).
REF_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "Component": {
        "owner": ("group", False),
        "system": ("system", False),
        "subcomponentOf": ("component", False),
        "providesApis": ("api", True),
        "consumesApis": ("api", True),
        "dependsOn": ("component", True),
        "dependencyOf": ("component", True),
    },
    "API": {"owner": ("group", False), "system": ("system", False)},
    "Resource": {
        "owner": ("group", False),
        "system": ("system", False),
        "dependsOn": ("resource", True),
        "dependencyOf": ("resource", True),
    },
    "Group": {"parent": ("group", False), "children": ("group", True), "members": ("user", True)},
    "User": {"memberOf": ("group", True)},
    "System": {"owner": ("group", False), "domain": ("domain", False)},
    "Domain": {"owner": ("group", False), "subdomainOf": ("domain", False)},
    "Location": {},
}

# A document separator is a line that is exactly `---` or starts with `--- ` at column 0; YAML forbids such a line
# inside any scalar, block scalars included, so this scan cannot split a document in the middle.
_SEPARATOR_RE = re.compile(r"\n---")
_SEPARATOR_ENDS = frozenset({"", " ", "\t", "\r", "\n"})
_CONTENT_RE = re.compile(r"^[ \t]*[^\s#]", re.M)
_ERROR_LINE_RE = re.compile(r"\bline (\d+)")
_ERROR_AT_RE = re.compile(r"at line \d+, column (\d+)")
_DUPLICATE_KEY_RE = re.compile(r"duplicate mapping key: '?([^'\n]*)'?")
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class RefSyntaxError(ValueError):
    """A malformed entity reference."""


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A ``$text``/``$json``/``$yaml`` substitution that points at a URL: kept as written, never fetched."""

    substitution: str
    url: str


@fast_frozen
@dataclass(frozen=True, slots=True, eq=False)
class Entity:
    """One validated catalog entity. ``refs`` holds every reference field of its spec, parsed into full
    lowercase references (``group:default/payments``), each field as a tuple even when it holds one reference."""

    kind: str
    namespace: str
    name: str
    metadata: dict[str, Any]
    spec: dict[str, Any]
    refs: dict[str, tuple[str, ...]]
    file: str
    line: int
    end_line: int
    ref: str = ""  # ``kind:namespace/name`` in lowercase; computed when not given

    def __post_init__(self) -> None:
        if not self.ref:
            object.__setattr__(self, "ref", entity_ref(self.kind, self.namespace, self.name))

    @property
    def annotations(self) -> dict[str, str]:
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    def ref_of(self, spec_field: str) -> str | None:
        """The single reference a field holds, or None."""
        refs = self.refs.get(spec_field)
        return refs[0] if refs else None


@dataclass(frozen=True, slots=True)
class LoadError:
    """A problem that stops a catalog from being read, located as precisely as the input allows."""

    file: str | None
    line: int | None
    entity: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        parts = [where, self.entity, self.field, self.message]
        return ": ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class SkippedKind:
    """A kind we do not model (Template, custom kinds): reported once, with how many and where first seen."""

    kind: str
    count: int
    file: str
    line: int


@dataclass(slots=True)
class LoadResult:
    """What a load produced: the entities, every error, and the notices a reader should see."""

    entities: list[Entity] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    skipped: dict[str, SkippedKind] = field(default_factory=dict)
    unfetched: list[tuple[str, int, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def skipped_kinds(self) -> list[str]:
        return sorted(self.skipped)

    def lines_of(self, file: str) -> list[str]:
        lines = self._lines.get(file)
        if lines is None:
            lines = self._lines[file] = self.sources.get(file, "").split("\n")
        return lines

    def line_of(self, entity: Entity, key: str, value: str | None = None) -> int:
        """The line of ``key:`` (and, if given, of the first later line mentioning ``value``) inside the entity's
        document; the key's line, else the document's first line, when it cannot be found."""
        return self.find_line(entity, key, value, strict=False) or entity.line

    def find_line(self, entity: Entity, key: str, value: str | None = None, *, strict: bool = True) -> int | None:
        """Like ``line_of``, but None when ``key`` (or, when strict, ``value`` after it) is not in the document.
        Used only when reporting, so a scan of the document's lines is fine."""
        lines = self.lines_of(entity.file)
        start, stop = entity.line - 1, min(entity.end_line, len(lines))
        key_re = re.compile(rf"^\s*(?:-\s+)?['\"]?{re.escape(key)}['\"]?\s*:")
        for index in range(start, stop):
            if key_re.match(lines[index]):
                if value is None:
                    return index + 1
                needle = value.lower()
                for later in range(index, stop):
                    if needle in lines[later].lower():
                        return later + 1
                return None if strict else index + 1
        return None


def entity_ref(kind: str, namespace: str, name: str) -> str:
    """The full, lowercase reference of an entity: ``component:default/checkout-api``."""
    return f"{kind}:{namespace}/{name}".lower()


def parse_ref(value: Any, *, default_kind: str | None, default_namespace: str) -> str:
    """Parse ``[kind:][namespace/]name`` or ``{kind, namespace, name}`` into ``kind:namespace/name``, lowercase.

    Backstage compares references case-insensitively; lowercasing once here lets everything else compare strings.
    """
    if isinstance(value, str):
        return _parse_ref_string(value, default_kind, default_namespace)
    if isinstance(value, dict):
        return _parse_ref_object(value, default_kind, default_namespace)
    raise RefSyntaxError(f"a reference must be a string or a {{kind, namespace, name}} mapping, not {_type(value)}")


# Parsed references by (default kind, namespace), then by text: most references repeat (owners, teams, APIs).
_REF_CACHES: dict[tuple[str | None, str], dict[str, str]] = {}


def _ref_cache(default_kind: str | None, default_namespace: str) -> dict[str, str]:
    cache = _REF_CACHES.get((default_kind, default_namespace))
    if cache is None:
        cache = _REF_CACHES[(default_kind, default_namespace)] = {}
    return cache


# Per kind, its reference fields with the cache of their default kind in the default namespace.
_REF_FIELD_LIST = {
    kind: [
        (key, default_kind, many, _ref_cache(default_kind, DEFAULT_NAMESPACE))
        for key, (default_kind, many) in fields.items()
    ]
    for kind, fields in REF_FIELDS.items()
}


def _parse_ref_string(value: str, default_kind: str | None, default_namespace: str) -> str:
    cache = _ref_cache(default_kind, default_namespace)
    cached = cache.get(value)
    if cached is not None:
        return cached
    colon, slash = value.find(":"), value.find("/")
    kind: str | None = default_kind
    rest = value
    if colon != -1 and (slash == -1 or colon < slash):
        kind, rest = value[:colon], value[colon + 1 :]
    namespace, _, name = rest.rpartition("/") if "/" in rest else (default_namespace, "", rest)
    if not kind:
        raise RefSyntaxError(f"reference {value!r} needs a kind (kind:name)")
    if not namespace or not name or "/" in namespace or ":" in name:
        raise RefSyntaxError(f"malformed reference {value!r}: expected [kind:][namespace/]name")
    result = f"{kind}:{namespace}/{name}".lower()
    if len(cache) < 200_000:
        cache[value] = result
    return result


def _parse_ref_object(value: dict[str, Any], default_kind: str | None, default_namespace: str) -> str:
    kind = value.get("kind", default_kind)
    namespace = value.get("namespace", default_namespace)
    name = value.get("name")
    for part, text in (("kind", kind), ("namespace", namespace), ("name", name)):
        if not isinstance(text, str) or not text:
            raise RefSyntaxError(f"reference mapping needs a non-empty string {part}")
    return f"{kind}:{namespace}/{name}".lower()


def is_valid_name(value: Any) -> bool:
    """Backstage's entity name rule: 1-63 characters, [A-Za-z0-9] at both ends, [-_.] allowed between."""
    return isinstance(value, str) and 0 < len(value) <= 63 and _NAME_RE.fullmatch(value) is not None


def is_valid_namespace(value: Any) -> bool:
    """Backstage's namespace rule: a DNS label (lowercase letters and digits, single hyphens inside)."""
    return isinstance(value, str) and 0 < len(value) <= 63 and _NAMESPACE_RE.fullmatch(value) is not None


def is_url(value: str) -> bool:
    return _URL_RE.match(value) is not None


def load_paths(paths: Iterable[str], *, helper: Helper | None = None) -> LoadResult:
    """Read catalog files and folders (recursively, ``*.yaml``/``*.yml``), following Location entities.

    With a ``helper`` (``workers.Helper``, for a command-line check, never in a server with threads), a forked
    child reads, parses and validates the last files while this process reads the first ones, when there is
    enough to read (``PARALLEL_MIN_BYTES``). The result is the same either way.
    """
    with _executor() as executor:
        loader = _Loader(executor)
        for path in paths:
            loader.add_input(path)
        if helper is not None and not PARSER_THREADS:
            loader.share_with(helper)
        loader.run()
    loader.sort_errors()
    return loader.result


def _executor() -> Executor:
    if PARSER_THREADS:
        from concurrent.futures import ThreadPoolExecutor

        return ThreadPoolExecutor(max_workers=PARSER_THREADS)
    return _InlineExecutor()  # type: ignore[return-value]


class _InlineExecutor:
    """Parses each file when its result is first needed, in the calling thread (``PARSER_THREADS = 0``). Not a
    ``concurrent.futures`` executor, so that a check that uses no thread imports neither them nor ``threading``."""

    def submit(self, fn: Any, /, *args: Any) -> _LazyFuture:
        return _LazyFuture(fn, args)

    def __enter__(self) -> _InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _LazyFuture:
    __slots__ = ("_fn", "_args")

    def __init__(self, fn: Any, args: tuple[Any, ...]) -> None:
        self._fn, self._args = fn, args

    def result(self) -> Any:
        return self._fn(*self._args)


class _HelperFuture:
    """A file the helper process read: its result from the helper, else (it could not) read here."""

    __slots__ = ("_helper", "_position", "_fallback")

    def __init__(self, helper: Helper, position: int, fallback: Future[_ParsedFile]) -> None:
        self._helper, self._position, self._fallback = helper, position, fallback

    def result(self) -> _ParsedFile:
        fields = self._helper.take(self._position)
        if fields is None:
            return self._fallback.result()
        text, read_error, data, parse_failed, documents = fields
        return _ParsedFile(text, read_error, data, parse_failed, documents)


# What a substitution that could not be read becomes: already reported, so not reported again as missing.
_FAILED = Unresolved("", "")

# A parsed document: its data, the line of its first key and its last line.
_Document = tuple[Any, int, int]


@dataclass(slots=True)
class _ParsedFile:
    """A file read and parsed by a worker thread: its text, and its whole-file parse (or the parser's error).
    From a forked worker, ``documents`` also holds each document with the valid entity built from it, if any."""

    text: str | None = None
    read_error: str | None = None
    data: Any = None
    parse_failed: bool = False
    documents: list[_CheckedDocument] | None = None


# A document a forked worker checked: its data, first line, last line and, when ``_quick_entity`` accepted it,
# (kind, namespace, name, refs, ref), the data then being only (metadata, spec).
_CheckedDocument = tuple[Any, int, int, "tuple[str, str, str, dict[str, tuple[str, ...]], str] | None"]
# Files a forked worker reads when the files to read add up to at least this many bytes: below, forking costs more.
PARALLEL_MIN_BYTES = 2_000_000
# The worker's share of the bytes, more than half: turning its results back into entities costs this process
# about a fifth of reading them itself (measured on a 41,000-entity catalog, where 0.6-0.65 balances the two).
WORKER_SHARE = 0.62


def _read_and_parse(path: str, explicit: bool) -> _ParsedFile:
    """Read and parse one file: in a worker thread when ``PARSER_THREADS`` > 0 (yaml_rs releases the GIL while it
    scans, so files can parse while the main thread validates the previous ones), else when first needed."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        return _ParsedFile(read_error=f"cannot read file: {exc}")
    # A folder may hold YAML that is not a catalog (OpenAPI documents read through $text, CI workflows,
    # Helm charts). Every Backstage apiVersion, Template's included, contains "backstage.io/".
    if not explicit and "backstage.io/" not in text:
        return _ParsedFile()
    try:
        return _ParsedFile(text, data=yaml_rs.loads(text, parse_datetime=False))
    except yaml_rs.YAMLDecodeError:
        return _ParsedFile(text, parse_failed=True)


def _check_ahead(job: tuple[str, bool]) -> tuple[Any, ...]:
    """In a forked worker: read, parse and split one file, and build the valid entities of a plain kind exactly as
    ``_Loader._load_file`` would (the same conditions, the same ``_quick_entity``). Everything else (errors,
    duplicates, Locations, substitutions) is left to the loader. Returns ``_ParsedFile``'s fields, marshal-able."""
    path, explicit = job
    parsed = _read_and_parse(path, explicit)
    text = parsed.text
    if text is None or parsed.parse_failed:
        return (text, parsed.read_error, None, parsed.parse_failed, None)
    chunks = _chunks(text)
    data = parsed.data
    if len(chunks) == 1:
        items = [data]
    elif type(data) is not list or len(data) != len(chunks):
        return (text, None, data, False, None)
    else:
        items = data
    plain = not ("$" in text and any(marker in text for marker in SUBSTITUTIONS))
    kinds = _PLAIN_KINDS
    documents: list[_CheckedDocument] = []
    for item, (_, _, line, end_line, _) in zip(items, chunks, strict=True):
        quick = None
        if plain and type(item) is dict:
            kind_text = item.get("kind")
            kind = kinds.get(kind_text) if type(kind_text) is str else None
            fields = _quick_fields(item, kind) if kind else None
            if fields is not None:  # the loader needs only its metadata and spec: the rest is not sent back
                namespace, name, metadata, spec, refs, ref = fields
                quick = (kind, namespace, name, refs, ref)
                item = (metadata, spec)
        documents.append((item, line, end_line, quick))
    return (text, None, None, False, documents)


class _Loader:
    """One load: a work queue of files, so Location targets found on the way are read once each. Files are
    consumed in queue order, so results never depend on timing, whether or not threads parse ahead."""

    def __init__(self, executor: Executor) -> None:
        self.result = LoadResult()
        self._executor = executor
        self._queue: list[tuple[str, bool, Future[_ParsedFile]]] = []  # path, named explicitly, its parse
        self._seen: set[str] = set()
        self._by_ref: dict[str, Entity] = {}
        self._cwd = os.getcwd()

    # -- files -----------------------------------------------------------------------------------------------

    def add_input(self, path: str) -> None:
        if os.path.isdir(path):
            for file in _walk_yaml(path):
                self._enqueue(file, explicit=False)
        elif os.path.exists(path):
            self._enqueue(path, explicit=True)
        else:
            self._error(_display(path), None, None, None, "no such file or directory")

    def _enqueue(self, path: str, *, explicit: bool) -> None:
        real = os.path.realpath(path)
        if real not in self._seen:
            self._seen.add(real)
            self._queue.append((path, explicit, self._executor.submit(_read_and_parse, path, explicit)))

    def sort_errors(self) -> None:
        """Errors in reading order: files as they were read, lines ascending within a file."""
        order = {file: position for position, file in enumerate(self.result.files)}
        self.result.errors.sort(key=lambda error: (order.get(error.file or "", -1), error.line or 0))

    def share_with(self, helper: Helper) -> None:
        """Have the helper read the last files of the queue (about ``WORKER_SHARE`` of its bytes) when the queue
        is big enough; their futures then take the helper's results, in queue order."""
        if len(self._queue) < 2:
            return
        sizes = []
        for path, _, _ in self._queue:
            try:
                sizes.append(os.stat(path).st_size)
            except OSError:
                sizes.append(0)
        total = sum(sizes)
        if total < PARALLEL_MIN_BYTES:
            return
        first, share = len(sizes), 0
        while first > 1 and share + sizes[first - 1] <= total * WORKER_SHARE:
            first -= 1
            share += sizes[first]
        shared = self._queue[first:]
        if not shared:
            return
        if helper.start([(path, explicit) for path, explicit, _ in shared], _check_ahead):
            for position, (path, explicit, future) in enumerate(shared):
                self._queue[first + position] = (path, explicit, _HelperFuture(helper, position, future))  # type: ignore[arg-type]

    def run(self) -> None:
        index = 0
        while index < len(self._queue):
            path, _, future = self._queue[index]
            index += 1
            self._load_file(path, future.result())

    def _load_file(self, path: str, parsed: _ParsedFile) -> None:
        display = _display(path, self._cwd)
        if parsed.read_error is not None:
            self._error(display, None, None, None, parsed.read_error)
            return
        text = parsed.text
        if text is None:
            return  # not a catalog file
        self.result.files.append(display)
        self.result.sources[display] = text
        folder = os.path.dirname(path)
        substitutions = folder if "$" in text and any(marker in text for marker in SUBSTITUTIONS) else None
        if parsed.documents is not None:
            self._load_checked(parsed.documents, display, folder, substitutions)
            return
        by_ref, entities, kinds = self._by_ref, self.result.entities, _PLAIN_KINDS
        for data, line, end_line in self._documents(text, parsed, display):
            # The common case inline (a valid entity of a plain kind, seen once); everything else, errors included,
            # goes through _load_entity. This loop runs once per entity of the catalog.
            if type(data) is dict and substitutions is None:
                kind_text = data.get("kind")
                kind = kinds.get(kind_text) if type(kind_text) is str else None
                fields = _quick_fields(data, kind) if kind else None
                if fields is not None and fields[5] not in by_ref:
                    namespace, name, metadata, spec, refs, ref = fields
                    entity = Entity(kind, namespace, name, metadata, spec, refs, display, line, end_line, ref)
                    by_ref[ref] = entity
                    entities.append(entity)
                    continue
            self._load_document(data, line, end_line, display, folder, substitutions)

    def _load_document(
        self, data: Any, line: int, end_line: int, display: str, folder: str, substitutions: str | None
    ) -> None:
        """One document the fast path did not take: empty ones are skipped, anything but a mapping is an error."""
        if data is None:
            return
        if type(data) is not dict:
            self._error(display, line, None, None, "a catalog document must be a mapping")
            return
        self._load_entity(data, line, end_line, display, folder, substitutions)

    def _load_checked(
        self, documents: list[_CheckedDocument], display: str, folder: str, substitutions: str | None
    ) -> None:
        """``_load_file``'s loop over the documents a forked worker checked: an entity it built is kept unless its
        ref is taken; everything else goes through ``_load_entity``, in the same order, as in ``_load_file``."""
        by_ref, entities = self._by_ref, self.result.entities
        for data, line, end_line, quick in documents:
            if quick is not None:  # data is (metadata, spec): _load_entity would build this same entity from it
                kind, namespace, name, refs, ref = quick
                metadata, spec = data
                entity = Entity(kind, namespace, name, metadata, spec, refs, display, line, end_line, ref)
                if ref not in by_ref:
                    by_ref[ref] = entity
                    entities.append(entity)
                else:
                    self._add_entity(entity, display, line, folder)  # reports the duplicate
                continue
            self._load_document(data, line, end_line, display, folder, substitutions)

    def _documents(self, text: str, parsed: _ParsedFile, display: str) -> list[_Document]:
        """A file's documents with their lines: the whole-file parse when it succeeded, per-document parses only
        to locate errors (so every broken document is reported, each with its own line)."""
        chunks = _chunks(text)
        if parsed.parse_failed:
            return self._documents_one_by_one(text, chunks, display)
        data = parsed.data
        if len(chunks) == 1:
            return [(data, chunks[0][2], chunks[0][3])]
        if type(data) is not list or len(data) != len(chunks):
            return self._documents_one_by_one(text, chunks, display)
        return [(item, chunk[2], chunk[3]) for item, chunk in zip(data, chunks, strict=True)]

    def _documents_one_by_one(
        self, text: str, chunks: list[tuple[int, int, int, int, int]], display: str
    ) -> list[_Document]:
        documents = []
        for start, stop, first_line, end_line, offset_line in chunks:
            chunk = text[start:stop]
            try:
                documents.append((yaml_rs.loads(chunk, parse_datetime=False), first_line, end_line))
            except yaml_rs.YAMLDecodeError as exc:
                line, message = _locate_yaml_error(str(exc), chunk, offset_line, first_line)
                self._error(display, line, None, None, f"invalid YAML: {message}")
        return documents

    # -- entities --------------------------------------------------------------------------------------------

    def _load_entity(
        self, data: dict[str, Any], line: int, end_line: int, display: str, folder: str, substitutions: str | None
    ) -> None:
        kind_text = data.get("kind")
        kind = _KIND_BY_TEXT.get(kind_text) if type(kind_text) is str else None
        if kind is None:
            self._unmodelled_kind(kind_text, display, line)
            return
        entity = None if substitutions else _quick_entity(data, kind, display, line, end_line)
        if entity is None:
            entity = _EntityCheck(self, data, kind, display, line, end_line).build(substitutions)
            if entity is None:
                return
        self._add_entity(entity, display, line, folder)

    def _add_entity(self, entity: Entity, display: str, line: int, folder: str) -> None:
        """Keep a valid entity (following it if it is a Location) unless its ref is taken."""
        if entity.kind == "Location":
            self._follow_location(entity, folder)
        previous = self._by_ref.get(entity.ref)
        if previous is not None:
            self._error(
                display,
                line,
                entity.ref,
                "metadata.name",
                f"duplicate entity: also defined at {previous.file}:{previous.line}",
            )
            return
        self._by_ref[entity.ref] = entity
        self.result.entities.append(entity)

    def _unmodelled_kind(self, kind_text: Any, display: str, line: int) -> None:
        if not isinstance(kind_text, str) or not kind_text:
            self._error(display, line, None, "kind", "kind is required")
        elif kind_text.lower() in KINDS:
            self._error(display, line, None, "kind", f"kind {kind_text!r} is spelled {KINDS[kind_text.lower()]!r}")
        elif _KIND_RE.fullmatch(kind_text) is None or len(kind_text) > 63:
            self._error(display, line, None, "kind", f"invalid kind {kind_text!r}")
        else:
            self._skip(kind_text, display, line)

    def _skip(self, kind: str, display: str, line: int) -> None:
        known = self.result.skipped.get(kind)
        if known is None:
            self.result.skipped[kind] = SkippedKind(kind, 1, display, line)
        else:
            self.result.skipped[kind] = SkippedKind(kind, known.count + 1, known.file, known.line)

    def _follow_location(self, entity: Entity, folder: str) -> None:
        spec = entity.spec
        targets: list[Any] = []
        if "target" in spec:
            targets.append(spec["target"])
        if "targets" in spec:
            listed = spec["targets"]
            if isinstance(listed, list):
                targets.extend(listed)
            else:
                self._entity_error(entity, "targets", "spec.targets must be a list")
        optional = spec.get("presence") == "optional"
        for target in targets:
            if not isinstance(target, str) or not target:
                self._entity_error(entity, "targets", "a Location target must be a non-empty string")
            elif is_url(target):
                self.result.unfetched.append((entity.file, self.result.line_of(entity, "target", target), target))
            else:
                self._follow_target(entity, folder, target, optional)

    def _follow_target(self, entity: Entity, folder: str, target: str, optional: bool) -> None:
        path = os.path.normpath(os.path.join(folder, target))
        import glob

        if glob.has_magic(path):
            matches = sorted(glob.glob(path, recursive=True))
        else:
            matches = [path] if os.path.exists(path) else []
        if not matches:
            if not optional:
                key = "targets" if "targets" in entity.spec else "target"
                line = self.result.line_of(entity, key, target)
                self._error(entity.file, line, entity.ref, f"spec.{key}", f"target {target!r} not found")
            return
        for match in matches:
            if os.path.isdir(match):
                for file in _walk_yaml(match):
                    self._enqueue(file, explicit=False)
            else:
                self._enqueue(match, explicit=True)

    # -- errors ----------------------------------------------------------------------------------------------

    def _error(self, file: str | None, line: int | None, entity: str | None, where: str | None, message: str) -> None:
        self.result.errors.append(LoadError(file, line, entity, where, message))

    def _entity_error(self, entity: Entity, spec_field: str, message: str) -> None:
        line = self.result.line_of(entity, spec_field)
        self._error(entity.file, line, entity.ref, f"spec.{spec_field}", message)


def _quick_entity(data: dict[str, Any], kind: str, display: str, line: int, end_line: int) -> Entity | None:
    """The common case, a valid entity, checked with as little work as possible. None sends the document through
    ``_EntityCheck``, which finds and locates every problem; both accept exactly the same documents."""
    fields = _quick_fields(data, kind)
    if fields is None:
        return None
    namespace, name, metadata, spec, refs, ref = fields
    return Entity(kind, namespace, name, metadata, spec, refs, display, line, end_line, ref)


_QuickFields = tuple[str, str, dict[str, Any], dict[str, Any], dict[str, tuple[str, ...]], str]
_name_match = _NAME_RE.fullmatch


def _quick_fields(data: dict[str, Any], kind: str) -> _QuickFields | None:
    """``_quick_entity``'s check: the entity's namespace, name, metadata, spec, refs and ref, or None."""
    metadata, spec = data.get("metadata"), data.get("spec")
    api_version = data.get("apiVersion")
    if (
        type(api_version) is not str
        or api_version not in API_VERSIONS
        or type(metadata) is not dict
        or type(spec) is not dict
    ):
        return None
    name = metadata.get("name")
    if type(name) is not str or len(name) > 63 or _name_match(name) is None:
        return None
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    if namespace != DEFAULT_NAMESPACE and not is_valid_namespace(namespace):
        return None
    annotations = metadata.get("annotations")
    if annotations is not None:
        if type(annotations) is not dict:
            return None
        for value in annotations.values():
            if type(value) is not str:
                return None
    for key in REQUIRED_SPEC[kind]:
        value = spec.get(key)
        if type(value) is not str or not value or value.isspace():
            return None
    if kind == "Group" and type(spec.get("children")) is not list:
        return None
    refs: dict[str, tuple[str, ...]] = {}
    default = namespace == DEFAULT_NAMESPACE
    for key, default_kind, many, default_cache in _REF_FIELD_LIST[kind]:
        value = spec.get(key)
        if value is None:
            continue
        cache = default_cache if default else _ref_cache(default_kind, namespace)
        try:  # TypeError: an unhashable item; the checker says what is wrong
            if not many:
                parsed = cache.get(value) or parse_ref(value, default_kind=default_kind, default_namespace=namespace)
                refs[key] = (parsed,)
                continue
            if type(value) is not list:
                return None
            items = tuple(map(cache.get, value))  # most references were parsed before
            if None in items:
                items = tuple(
                    [
                        cache.get(item) or parse_ref(item, default_kind=default_kind, default_namespace=namespace)
                        for item in value
                    ]
                )
            refs[key] = items
        except (RefSyntaxError, TypeError):
            return None
    return namespace, name, metadata, spec, refs, f"{kind}:{namespace}/{name}".lower()


class _EntityCheck:
    """Backstage's validation of one document, collecting every problem with its field and line."""

    def __init__(
        self, loader: _Loader, data: dict[str, Any], kind: str, display: str, line: int, end_line: int
    ) -> None:
        self.loader = loader
        self.data = data
        self.kind = kind
        self.display = display
        self.line = line
        self.end_line = end_line
        self.ref: str | None = None
        self.failed = False

    def build(self, folder: str | None) -> Entity | None:
        data, kind = self.data, self.kind
        api_version = data.get("apiVersion")
        if type(api_version) is not str or api_version not in API_VERSIONS:  # a list or a mapping is not hashable
            self.fail("apiVersion", f"apiVersion of a {kind} must be backstage.io/v1alpha1 or v1beta1")
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            self.fail("metadata", "metadata must be a mapping with a name")
            return None
        name, namespace = metadata.get("name"), metadata.get("namespace", DEFAULT_NAMESPACE)
        if not is_valid_name(name):
            self.fail("metadata.name", _name_problem(name))
            return None
        if not is_valid_namespace(namespace):
            self.fail("metadata.namespace", f"invalid namespace {namespace!r}: lowercase letters, digits and '-'")
            return None
        self.ref = entity_ref(kind, namespace, name)
        self._check_annotations(metadata)
        spec = data.get("spec")
        if not isinstance(spec, dict):
            self.fail("spec", f"a {kind} needs a spec mapping")
            return None
        if folder is not None:
            spec = self._substitute(spec, folder, "spec")
        self._check_required(spec)
        refs = self._parse_refs(spec, namespace)
        if self.failed:
            return None
        return Entity(kind, namespace, name, metadata, spec, refs, self.display, self.line, self.end_line)

    def fail(self, where: str, message: str, value: str | None = None) -> None:
        self.failed = True
        line = self._line(where, value)
        self.loader._error(self.display, line, self.ref, where, message)

    def _line(self, where: str, value: str | None = None) -> int:
        """The line of the last key of a dotted field path, searched within this document."""
        lines = self.loader.result.lines_of(self.display)
        start, stop = self.line - 1, min(self.end_line, len(lines))
        parts = where.split(".", 2) if where.startswith("metadata.annotations.") else where.split(".")
        index = start
        for part in parts:
            key_re = re.compile(rf"^\s*(?:-\s+)?['\"]?{re.escape(part)}['\"]?\s*:")
            found = next((i for i in range(index, stop) if key_re.match(lines[i])), None)
            if found is None:
                return index + 1 if index > start else self.line
            index = found
        if value:
            needle = value.lower()
            found = next((i for i in range(index, stop) if needle in lines[i].lower()), None)
            if found is not None:
                return found + 1
        return index + 1

    def _check_annotations(self, metadata: dict[str, Any]) -> None:
        annotations = metadata.get("annotations")
        if annotations is None:
            return
        if not isinstance(annotations, dict):
            self.fail("metadata.annotations", "annotations must be a mapping")
            return
        for key, value in annotations.items():
            if not isinstance(value, str):
                self.fail(f"metadata.annotations.{key}", f"annotation values are strings: quote {value!r}")

    def _check_required(self, spec: dict[str, Any]) -> None:
        for key in REQUIRED_SPEC[self.kind]:
            value = spec.get(key)
            if isinstance(value, Unresolved) or value is _FAILED:
                continue
            if not isinstance(value, str) or not value.strip():
                problem = "is required" if value is None else f"must be a non-empty string, not {_type(value)}"
                self.fail(f"spec.{key}", f"spec.{key} {problem}")
        if self.kind == "Group" and not isinstance(spec.get("children"), list):
            self.fail("spec.children", "spec.children is required: a list of groups, [] when there are none")

    def _parse_refs(self, spec: dict[str, Any], namespace: str) -> dict[str, tuple[str, ...]]:
        refs: dict[str, tuple[str, ...]] = {}
        for key, (default_kind, many) in REF_FIELDS[self.kind].items():
            value = spec.get(key)
            if value is None:
                continue
            if many and not isinstance(value, list):
                self.fail(f"spec.{key}", f"spec.{key} must be a list of references")
                continue
            items = value if many else [value]
            parsed = []
            for item in items:
                try:
                    parsed.append(parse_ref(item, default_kind=default_kind, default_namespace=namespace))
                except RefSyntaxError as exc:
                    self.fail(f"spec.{key}", str(exc), item if isinstance(item, str) else None)
            refs[key] = tuple(parsed)
        return refs

    def _substitute(self, value: Any, folder: str, where: str) -> Any:
        """Replace ``{$text|$json|$yaml: path}`` anywhere below ``value``; URLs become ``Unresolved``."""
        if isinstance(value, dict):
            if len(value) == 1:
                key, target = next(iter(value.items()))
                if key in SUBSTITUTIONS:
                    return self._read_substitution(key, target, folder, where)
            return {key: self._substitute(item, folder, f"{where}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self._substitute(item, folder, where) for item in value]
        return value

    def _read_substitution(self, key: str, target: Any, folder: str, where: str) -> Any:
        if not isinstance(target, str) or not target:
            self.fail(where, f"{key} needs a path or URL")
            return _FAILED
        if is_url(target):
            self.loader.result.unfetched.append((self.display, self._line(where, target), target))
            return Unresolved(key, target)
        path = os.path.normpath(os.path.join(folder, target))
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = "not found" if isinstance(exc, FileNotFoundError) else str(exc)
            self.fail(where, f"{key} file {target!r} {reason}", target)
            return _FAILED
        if key == "$text":
            return text
        try:
            return yaml_rs.loads(text, parse_datetime=False)  # JSON is YAML 1.2
        except yaml_rs.YAMLDecodeError as exc:
            self.fail(where, f"{key} file {target!r} does not parse: {_parser_message(str(exc))}", target)
            return _FAILED


def _chunks(text: str) -> list[tuple[int, int, int, int, int]]:
    """Split a file into documents: (start, stop, first content line, last line, line of ``start``).

    Comments and directives before the first ``---`` belong to the first document, as they do for a parser.
    """
    starts = _separators(text)
    if starts and not _has_content(text, 0, starts[0]):
        starts = starts[1:]
    boundaries = [0, *starts, len(text)]
    count, startswith = text.count, text.startswith
    chunks = []
    line = 1
    for start, stop in zip(boundaries, boundaries[1:], strict=False):
        newlines = count("\n", start, stop)
        if startswith("---\n", start) and text[start + 4 : start + 5].isalpha():
            first = line + 1  # the usual shape: a bare separator, then the first key
        elif text[start : start + 1].isalpha():
            first = line
        else:
            first = _first_content_line(text, start, stop, line)
        last = line + newlines - (1 if newlines and text[stop - 1] == "\n" else 0)
        chunks.append((start, stop, first, max(first, last), line))
        line += newlines
    return chunks


def _separators(text: str) -> list[int]:
    """Offsets of the lines that are ``---`` alone or followed by a space (a plain substring search, then a check
    of the next character, is several times faster than a multiline regular expression on a large file)."""
    ends = _SEPARATOR_ENDS
    starts = [0] if text.startswith("---") and text[3:4] in ends else []
    for match in _SEPARATOR_RE.finditer(text):
        start = match.start() + 1
        if text[start + 3 : start + 4] in ends:
            starts.append(start)
    return starts


def _has_content(text: str, start: int, stop: int) -> bool:
    for raw in text[start:stop].splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith(("#", "%")):
            return True
    return False


def _first_content_line(text: str, start: int, stop: int, line: int) -> int:
    """The first line of a document that holds data (skipping a bare ``---``, comments and blank lines)."""
    position = start
    while position < stop:
        match = _CONTENT_RE.search(text, position, stop)
        if match is None:
            return line
        content_start = match.end() - 1
        line_end = text.find("\n", content_start, stop)
        line_end = stop if line_end == -1 else line_end
        current = line + text.count("\n", start, content_start)
        row = text[content_start:line_end].rstrip()
        if row == "---" or (row.startswith("--- #")):
            position = line_end + 1
            continue
        return current
    return line


def _parser_message(message: str) -> str:
    """yaml_rs's message without its source excerpt and without its line, which is relative to what it parsed."""
    summary = " ".join(part.strip() for part in message.splitlines() if part.strip() and "|" not in part)
    return _ERROR_AT_RE.sub(r"at column \1:", summary)


def _locate_yaml_error(message: str, chunk: str, offset_line: int, fallback: int) -> tuple[int, str]:
    """The file line of a parser error, and its message without the source excerpt yaml_rs appends."""
    summary = _parser_message(message)
    match = _ERROR_LINE_RE.search(message)
    if match:
        return offset_line + int(match.group(1)) - 1, summary
    duplicate = _DUPLICATE_KEY_RE.search(message)
    if duplicate:
        return _duplicate_key_line(chunk, duplicate.group(1), offset_line, fallback), summary
    return fallback, summary


def _duplicate_key_line(chunk: str, key: str, offset_line: int, fallback: int) -> int:
    """yaml_rs names a duplicate key but not its line: the second occurrence at one indentation is the culprit."""
    key_re = re.compile(rf"^(\s*)(?:-\s+)?['\"]?{re.escape(key)}['\"]?\s*:")
    first_at: dict[int, int] = {}
    for number, raw in enumerate(chunk.split("\n")):
        match = key_re.match(raw)
        if match:
            indent = len(match.group(1))
            if indent in first_at:
                return offset_line + number
            first_at[indent] = number
    return fallback


def _walk_yaml(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(root, name)


def _display(path: str, cwd: str | None = None) -> str:
    """Paths as a reader (and GitHub code scanning) expects them: relative to the working directory."""
    try:
        shown = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        shown = os.path.abspath(path)
    return shown.replace(os.sep, "/")


def _name_problem(name: Any) -> str:
    if name is None:
        return "metadata.name is required"
    if not isinstance(name, str):
        return f"metadata.name must be a string, not {_type(name)}"
    if len(name) > 63:
        return f"name {name!r} is longer than 63 characters"
    return f"invalid name {name!r}: [a-zA-Z0-9] at both ends, [-_.] allowed between"


def _type(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
