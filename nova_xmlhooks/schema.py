#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Validation of customised domain XML against libvirt's RelaxNG schema.

The schema is the compute host's own (``[xmlhooks] schema_path``, the
``domain.rng`` that libvirt installs next to the files it includes), so a
customisation is checked against exactly the libvirt that will define the
guest. It is compiled once per process.

NOTE(xmlhooks): the schema checks structure, not safety: a disk pointing
at any host file is valid XML. See ``[xmlhooks] allow_sensitive``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
import copy
import dataclasses
import functools
import os
import queue
import threading
import typing as ty

from lxml import etree
from oslo_log import log as logging

from nova_xmlhooks import exception
from nova_xmlhooks import messages
from nova_xmlhooks import schema_parts

if ty.TYPE_CHECKING:
    from oslo_config import cfg

    from nova_xmlhooks import checks
    from nova_xmlhooks import engine

    #: what a part's elements are, as written (see :func:`_key`)
    PartKey: ty.TypeAlias = tuple[str | None, int, tuple[bytes, ...]]

LOG = logging.getLogger(__name__)

#: Rule keys named in an error message; more are counted, not listed.
MAX_RULES_NAMED = 10
#: At most this many validators per check validate at the same time.
MAX_VALIDATORS = 4
#: what to validate is kept for this many regions
MAX_REGIONS = 256
#: how many parts, as written, are remembered as valid
MAX_VALID_PARTS = 4096
#: the most elements validated apart from their document
MAX_PART_ELEMENTS = 64

_RNG = etree.RelaxNGErrorTypes
#: libxml2's RelaxNG errors whose message names only what the schema
#: defines (elements, attributes, types), never a value of the document
_NAMES_ONLY = frozenset((
    _RNG.RELAXNG_ERR_TYPE, _RNG.RELAXNG_ERR_TYPECMP,
    _RNG.RELAXNG_ERR_INTERSEQ, _RNG.RELAXNG_ERR_INTEREXTRA,
    _RNG.RELAXNG_ERR_ELEMNAME, _RNG.RELAXNG_ERR_ATTRNAME,
    _RNG.RELAXNG_ERR_ELEMNONS, _RNG.RELAXNG_ERR_ATTRNONS,
    _RNG.RELAXNG_ERR_ELEMWRONGNS, _RNG.RELAXNG_ERR_ATTRWRONGNS,
    _RNG.RELAXNG_ERR_ELEMEXTRANS, _RNG.RELAXNG_ERR_ATTREXTRANS,
    _RNG.RELAXNG_ERR_ELEMNOTEMPTY, _RNG.RELAXNG_ERR_NOELEM,
    _RNG.RELAXNG_ERR_NOTELEM, _RNG.RELAXNG_ERR_ATTRVALID,
    _RNG.RELAXNG_ERR_CONTENTVALID, _RNG.RELAXNG_ERR_EXTRACONTENT,
    _RNG.RELAXNG_ERR_INVALIDATTR, _RNG.RELAXNG_ERR_DATAELEM,
    _RNG.RELAXNG_ERR_VALELEM, _RNG.RELAXNG_ERR_LISTELEM,
    _RNG.RELAXNG_ERR_DATATYPE, _RNG.RELAXNG_ERR_LIST,
    _RNG.RELAXNG_ERR_EXTRADATA, _RNG.RELAXNG_ERR_LACKDATA,
    _RNG.RELAXNG_ERR_ELEMWRONG, _RNG.RELAXNG_ERR_TEXTWRONG,
))
#: what is said, in place of libxml2's message, of the errors that can
#: quote a value
_OWN_WORDS = {
    _RNG.RELAXNG_ERR_TYPEVAL: 'a value its type does not allow',
    _RNG.RELAXNG_ERR_DUPID: 'an ID defined twice',
    _RNG.RELAXNG_ERR_LISTEXTRA: 'extra data in a list',
    _RNG.RELAXNG_ERR_VALUE: 'a value the schema does not allow',
}
_OTHERWISE = 'what is there does not match the schema'

_compiled: dict[str, etree.RelaxNG] = {}
_compile_lock = threading.Lock()


def _compile(path: str) -> etree.RelaxNG:
    # NOTE(xmlhooks): the schema is the host's own file, but it is still
    # parsed without network access; includes are resolved relative to it
    # by libxml2.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        return etree.RelaxNG(etree.parse(path, parser))
    except (OSError, etree.XMLSyntaxError, etree.RelaxNGParseError) as e:
        raise exception.XmlHooksError(
            reason='[xmlhooks] schema_path %s cannot be compiled: %s'
                   % (path, messages.one_line(str(e))))


def compile_schema(path: str) -> etree.RelaxNG:
    """Compile a RelaxNG schema, once per path and process.

    :param path: the path of ``domain.rng``
    :returns: an ``lxml.etree.RelaxNG``
    :raises: nova_xmlhooks.exception.XmlHooksError if it cannot be read or
        compiled
    """
    with _compile_lock:
        schema = _compiled.get(path)
        if schema is None:
            schema = _compiled[path] = _compile(path)
        return schema


class SchemaCheck:
    """A check that refuses customised XML the schema does not accept.

    It is a callable ``check(nova_root, result_root, ruleset)`` for the
    engine; one instance serves every thread.
    """

    def __init__(self, schema: etree.RelaxNG, path: str | None = None,
                 max_validators: int = MAX_VALIDATORS) -> None:
        """Wrap a compiled schema.

        :param schema: an ``lxml.etree.RelaxNG``
        :param path: the file it was compiled from; when given, up to
            ``max_validators`` validators are compiled from it so that
            threads validate at the same time
        :param max_validators: the most validators to hold
        """
        # NOTE(xmlhooks): libxml2 validates with a fresh context per call,
        # but lxml keeps the error log on the validator object, so one
        # validator serves one thread at a time: validating and reading its
        # errors happen while the thread holds it. libxml2 validates
        # without the GIL, so threads holding validators of their own
        # validate in parallel; each costs a few MB, hence the bound.
        self._path = path
        self._validators = _Pool(self._compile_spare,
                                 max_validators if path else 1, first=schema)
        self._regions_lock = threading.Lock()
        self._max_validators = max_validators
        #: a :class:`RegionValidator`, False when there can be none, or
        #: None until it is first needed
        self._region_validators: RegionValidator | ty.Literal[False] | None = (
            None)

    def _compile_spare(self) -> etree.RelaxNG | None:
        """Another validator of the schema file, or None if it fails."""
        if self._path is None:
            return None
        try:
            return _compile(self._path)
        except exception.XmlHooksError as e:
            # NOTE(xmlhooks): the file was read at start-up; if it
            # cannot be read now, the validators there are enough.
            LOG.warning('Validating with fewer validators: %s',
                        e.format_message())
            return None

    def _errors(self, root: etree._Element) -> list[etree._LogEntry] | None:
        validator = self._validators.get()
        try:
            if validator.validate(root):
                return None
            return list(validator.error_log)
        finally:
            self._validators.put(validator)

    def __call__(self, nova_root: etree._Element | None,
                 result_root: etree._Element, ruleset: engine.RuleSet) -> None:
        """Validate a customised document.

        :param nova_root: Nova's own document, or None
        :param result_root: the customised ``<domain>`` element
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.SchemaError naming the rules and
            the schema's first error
        """
        self._judge(result_root, lambda: nova_root, ruleset)

    def check_change(self, change: checks.Change,
                     ruleset: engine.RuleSet) -> None:
        """Validate what the rules changed, or the whole document.

        When the elements the change touched are valid, and everything
        else is Nova's, the document is as valid as Nova's: valid, or
        not the customisation's fault. Otherwise the whole document is
        validated, exactly as :meth:`__call__` does, so what is refused,
        and how it is reported, does not change.

        :param change: a :class:`~nova_xmlhooks.checks.Change`
        :param ruleset: the rules that were applied
        :raises: nova_xmlhooks.exception.SchemaError naming the rules and
            the schema's first error
        """
        if change.region is not None and self._region_valid(change):
            return
        self._judge(change.result, lambda: change.nova_root, ruleset)

    def _region_valid(self, change: checks.Change) -> bool:
        regions = self._regions()
        return regions is not None and regions.valid(change)

    def _regions(self) -> RegionValidator | None:
        """The validator of regions, made on first use; None if none."""
        if self._path is None:
            return None
        with self._regions_lock:
            if self._region_validators is None:
                self._region_validators = _regions(self._path,
                                                   self._max_validators)
            return self._region_validators or None

    def _judge(self, result_root: etree._Element,
               nova_root: Callable[[], etree._Element | None],
               ruleset: engine.RuleSet) -> None:
        """Refuse a document the schema refuses, unless Nova's is too.

        :param result_root: the customised ``<domain>`` element
        :param nova_root: a callable returning Nova's document, or None
        :param ruleset: the rules that were applied
        """
        errors = self._errors(result_root)
        if errors is None:
            return
        nova = nova_root()
        if nova is not None and self._errors(nova) is not None:
            # NOTE(xmlhooks): when Nova's own XML already fails this host's
            # schema, the customisation cannot be blamed; refusing it would
            # stop guests that boot fine without the plugin.
            LOG.warning("Nova's own domain XML does not match libvirt's "
                        "schema at %s; not validating the customisation",
                        self._where(errors))
            return
        keys = [rule.key for rule in ruleset]
        if len(keys) > MAX_RULES_NAMED:
            keys = keys[:MAX_RULES_NAMED] + [
                'and %d more' % (len(keys) - MAX_RULES_NAMED)]
        raise exception.SchemaError(keys, '%s: %s' % (
            self._where(errors), describe(errors[0])))

    @staticmethod
    def _where(errors: Iterable[etree._LogEntry]) -> str:
        # NOTE(xmlhooks): the element path, not the file name and line:
        # the document is built in memory and users must not see host
        # paths. libxml2 leaves the path out of some errors (those about
        # an interleave), so the first one given is used.
        for error in errors:
            if error.path:
                return error.path
        return '/domain'


def describe(error: etree._LogEntry) -> str:
    """What a schema error says, without the document's values.

    NOTE(xmlhooks): the message reaches the instance fault, which users
    see, and a value may be a host path that a rule wrote: libxml2's
    "Type unsignedLong doesn't allow value '...'" quotes it. Errors are
    told apart by their code, not their text; a code not known to name
    only the schema's own names is said in words of our own.

    :param error: an entry of a validator's ``error_log``
    :returns: one line
    """
    if error.domain != etree.ErrorDomains.RELAXNGV:
        return _OTHERWISE
    if error.type in _NAMES_ONLY:
        return messages.one_line(error.message)
    return _OWN_WORDS.get(error.type, _OTHERWISE)


def _regions(path: str,
             max_validators: int) -> RegionValidator | ty.Literal[False]:
    """A :class:`RegionValidator` for a schema, or False.

    NOTE(xmlhooks): a schema this cannot read part by part is still
    validated whole; that costs time, not protection, so it is said at
    INFO.
    """
    try:
        return RegionValidator(path, max_validators)
    except (schema_parts.Unsupported, OSError, etree.XMLSyntaxError,
            etree.RelaxNGParseError) as e:
        LOG.info('Validating whole documents against %(path)s: its parts '
                 'cannot be told apart (%(reason)s)',
                 {'path': path, 'reason': messages.one_line(str(e))})
        return False


class _Pool:
    """Validators of one grammar, each used by one thread at a time.

    Up to ``size`` validators are made, each when every one made so far
    is in use; after that a thread waits for a free one.
    """

    def __init__(self, make: Callable[[], etree.RelaxNG | None], size: int,
                 first: etree.RelaxNG | None = None) -> None:
        """Hold one validator and make the others when needed.

        :param make: makes a validator; may return None if it cannot, and
            the thread then waits for one in use
        :param size: the most validators to hold
        :param first: the first validator, if already made
        """
        self._make = make
        self._free: queue.LifoQueue[etree.RelaxNG] = queue.LifoQueue()
        self._free.put(first if first is not None else make())
        self._spare = max(0, size - 1)
        self._lock = threading.Lock()

    def get(self) -> etree.RelaxNG:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = self._spare > 0
            if grow:
                self._spare -= 1
        made = self._make() if grow else None
        return made if made is not None else self._free.get()

    def put(self, validator: etree.RelaxNG) -> None:
        self._free.put(validator)


def _span(tags: Sequence[object],
          grouped: Collection[object]) -> Sequence[object]:
    """The tags from the first in ``grouped`` to the last."""
    places = [index for index, tag in enumerate(tags) if tag in grouped]
    return tags[places[0]:places[-1] + 1] if places else ()


@dataclasses.dataclass(frozen=True)
class Part:
    """A part of the schema that a region touches, and its elements.

    :ivar parent: None for a part of ``<domain>``; else the tag of the
        child of ``<domain>`` whose content the part is
    :ivar index: the part's place in its interleave
    :ivar tags: the tags of the elements the part judges here
    :ivar per_element: whether each element is judged on its own
    :ivar ordered: whether libxml2 may judge it by where its elements
        sit, so that it is never taken as valid from memory
    """

    parent: str | None
    index: int
    tags: frozenset[str]
    per_element: bool
    ordered: bool

    def groups(self, children: _Children) -> list[list[etree._Element]]:
        """The groups of elements the part judges together.

        :param children: a :class:`_Children` of the customised document
        :returns: a list of lists of elements; an empty list is a part
            left without elements
        """
        groups: list[list[etree._Element]] = []
        for parent in children.parents(self.parent):
            elements = children.of(parent, self.tags)
            groups.extend([[e] for e in elements] if self.per_element
                          else [elements])
        return groups


class _Children:
    """The children of a document's elements by tag, each read once.

    NOTE(xmlhooks): lxml sets up a matcher for the tags given to
    ``iterchildren`` on every call, which costs more than reading the few
    children of an element and sorting them here.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._by_parent: dict[etree._Element,
                              dict[object, list[etree._Element]]] = {}

    def _tags(self,
              parent: etree._Element) -> dict[object, list[etree._Element]]:
        found = self._by_parent.get(parent)
        if found is None:
            found = self._by_parent[parent] = {}
            for child in parent:
                found.setdefault(child.tag, []).append(child)
        return found

    def parents(self, tag: str | None) -> list[etree._Element]:
        """The root, for None; else the children of the root of a tag."""
        if tag is None:
            return [self.root]
        return self._tags(self.root).get(tag, [])

    def of(self, parent: etree._Element,
           tags: Collection[str]) -> list[etree._Element]:
        """The children of ``parent`` whose tag is in ``tags``, in order.

        :param parent: an element of the document
        :param tags: a set of tags
        """
        found = self._tags(parent)
        chosen = [child for tag in tags for child in found.get(tag, ())]
        if len(chosen) > 1 and len(tags) > 1:
            # NOTE(xmlhooks): in the document's order, as libxml2 sees
            # them.
            order = {id(child): index for index, child in enumerate(parent)}
            chosen.sort(key=lambda child: order[id(child)])
        return chosen


class RegionValidator:
    """Validates the part of a document that a change touched.

    The elements the change touched are taken part by part (see
    :class:`Part`); a part whose elements, as they are written, were
    found valid before is valid again. The others are validated in a
    ``<domain>`` of their own, against a grammar in which every part of
    ``<domain>`` is optional (see
    :meth:`~nova_xmlhooks.schema_parts.SchemaParts.region_grammar`); the
    attributes of ``<domain>`` are Nova's, and are left out.

    NOTE(xmlhooks): validity is a function of the elements' text and of
    the schema, both fixed, so remembering it is exact: the elements
    most rules touch (a ``<features>``, a ``<graphics>``) read the same
    for every guest of a flavor, while those that name the guest (its
    disks) are validated each time.
    """

    def __init__(self, path: str,
                 max_validators: int = MAX_VALIDATORS) -> None:
        """Read the schema's parts and compile the region grammar.

        :param path: the path of ``domain.rng``
        :param max_validators: the most validators to hold
        :raises: schema_parts.Unsupported, or what lxml raises
        """
        self.parts = schema_parts.SchemaParts(path)
        grammar = self.parts.region_grammar()
        self._pool = _Pool(lambda: etree.RelaxNG(grammar), max_validators)
        self._regions: dict[checks.Region, tuple[Part, ...] | None] = {}
        self._valid: dict[PartKey, bool] = {}

    def parts_of(self, region: checks.Region) -> tuple[Part, ...] | None:
        """The :class:`Part` s a region touches.

        :param region: a :class:`~nova_xmlhooks.checks.Region`
        :returns: a tuple of parts, or None when the whole document must
            be validated
        """
        try:
            return self._regions[region]
        except KeyError:
            pass
        found: dict[tuple[str | None, int], Part] = {}
        parts: tuple[Part, ...] | None = None
        for tag, children in region.parts:
            level = None if children is None else (
                self.parts.child_level(tag))
            if children is None or level is None or level.ordered:
                touched = self._touched(None, self.parts.domain, [tag])
            else:
                touched = self._touched(tag, level, children)
            if touched is None:
                break
            for part in touched:
                key = (part.parent, part.index)
                if key in found:
                    part = dataclasses.replace(
                        part, tags=found[key].tags | part.tags)
                found[key] = part
        else:
            parts = tuple(found.values())
        _remember(self._regions, region, parts, MAX_REGIONS)
        return parts

    @staticmethod
    def _touched(parent: str | None, level: schema_parts.Level,
                 tags: Iterable[str]) -> list[Part] | None:
        parts: list[Part] = []
        for tag in tags:
            owners = [(index, branch) for index, branch
                      in enumerate(level.branches)
                      if branch.names is None or tag in branch.names]
            if len(owners) != 1 or owners[0][1].names is None and (
                    len(level.branches) > 1):
                return None
            index, branch = owners[0]
            if branch.anything:
                continue
            judged = _judged(branch, tag)
            if judged is None:
                return None
            parts.append(Part(parent=parent, index=index, tags=judged,
                              per_element=branch.per_element,
                              ordered=branch.ordered))
        return parts

    @functools.cached_property
    def _ordered(self) -> frozenset[str]:
        """The tags of the parts of ``<domain>`` that group elements."""
        return frozenset(name for branch in self.parts.domain.branches
                         if branch.ordered for name in branch.names or ())

    def _placed_alike(self, change: checks.Change) -> bool:
        """Whether the grouped elements sit among the same others.

        NOTE(xmlhooks): libxml2 judges a part that groups elements (an
        inner interleave, such as name, uuid and genid) by the elements
        between its first and its last, of any part, and by nothing
        outside that span: the span, from the first such element to the
        last, must hold the same tags, in the same order, as Nova's.
        Elements added or removed elsewhere (a ``<pm>`` at the end) do
        not matter.
        """
        if change.tags == change.nova_tags:
            return True
        return _span(change.tags, self._ordered) == _span(change.nova_tags,
                                                          self._ordered)

    def valid(self, change: checks.Change) -> bool:
        """Whether the touched part of the change's result is valid.

        :param change: a :class:`~nova_xmlhooks.checks.Change`
        :returns: True if it is; False if it is not, or cannot be told
        """
        if change.region is None:
            return False
        parts = self.parts_of(change.region)
        if parts is None or not self._placed_alike(change):
            return False
        children = _Children(change.result)
        groups = [(part, group) for part in parts
                  for group in part.groups(children)]
        if any(not group and not part.per_element for part, group in groups):
            # NOTE(xmlhooks): a part left without elements may be one the
            # schema requires.
            return False
        if sum(len(group) for _part, group in groups) > MAX_PART_ELEMENTS:
            # NOTE(xmlhooks): each element validated apart is also
            # serialised and copied; for hundreds (every disk of a large
            # guest), validating the whole document costs less.
            return False
        pending, top, inner = self._pending(groups)
        if pending and not self._validate(change.result, top, inner):
            return False
        for key in pending:
            if key is not None:
                _remember(self._valid, key, True, MAX_VALID_PARTS)
        return True

    def _pending(self, groups: Iterable[tuple[Part, list[etree._Element]]]
                 ) -> tuple[list[PartKey | None], set[str],
                            dict[str, set[str]]]:
        """The groups not known to be valid, and the tags that hold them.

        :returns: ``(keys, top, inner)``, as :meth:`_validate` takes the
            last two
        """
        pending: list[PartKey | None] = []
        top: set[str] = set()
        inner: dict[str, set[str]] = {}
        for part, group in groups:
            key = _key(part, group)
            if key is not None and key in self._valid:
                continue
            pending.append(key)
            tags = {e.tag for e in group}
            if part.parent is None:
                top.update(tags)
            else:
                top.add(part.parent)
                inner.setdefault(part.parent, set()).update(tags)
        return pending, top, inner

    def _validate(self, root: etree._Element, top: Collection[str],
                  inner: Mapping[str, Collection[str]]) -> bool:
        """Validate some elements of a document.

        NOTE(xmlhooks): copies of the elements go into a ``<domain>`` of
        their own: lxml moves a subtree taken out of a document, and put
        back, through every element of it, which costs more, for
        Nova's ``<metadata>``, than validating the few elements that
        changed. The attributes of ``<domain>`` are Nova's and are left
        out.

        :param root: the customised ``<domain>`` element; not changed
        :param top: the tags of its children to validate
        :param inner: ``{tag: tags}``: of those children, only these of
            their own children are validated
        """
        wrapper = etree.Element(root.tag)
        for child in root:
            if child.tag not in top:
                continue
            if child.tag not in inner:
                wrapper.append(copy.deepcopy(child))
                continue
            shell = etree.SubElement(wrapper, child.tag, dict(child.attrib))
            shell.text = child.text
            keep = inner[child.tag]
            for node in child:
                if node.tag in keep:
                    shell.append(copy.deepcopy(node))
        validator = self._pool.get()
        try:
            return bool(validator.validate(wrapper))
        finally:
            self._pool.put(validator)


def _judged(branch: schema_parts.Branch, tag: str) -> frozenset[str] | None:
    """The tags of a part's elements that a change of ``tag`` judges.

    NOTE(xmlhooks): a part judged element by element judges the elements
    of the tag that changed; any other, all of its elements. One that
    takes elements of any name, and is not judged element by element
    (a single element of any name), cannot be told by tags: None, and
    the whole document is validated.

    :param branch: the part, as the schema writes it
    :param tag: the tag of a changed element in the part
    :returns: a frozenset of tags, or None
    """
    if branch.per_element:
        return frozenset([tag])
    return branch.names


def _key(part: Part, group: Sequence[etree._Element]) -> PartKey | None:
    """What a part's elements are, as written; None to validate them.

    NOTE(xmlhooks): a part that groups its elements is judged by where
    they sit (see RegionValidator._placed_alike) once it has more than
    one; such a group is validated every time.
    """
    if part.ordered and len(group) > 1:
        return None
    return (part.parent, part.index,
            tuple(etree.tostring(e, with_tail=False) for e in group))


_remember_lock = threading.Lock()
_K = ty.TypeVar('_K')
_V = ty.TypeVar('_V')


def _remember(cache: dict[_K, _V], key: _K, value: _V, size: int) -> None:
    """Keep ``value`` for ``key``, forgetting the oldest beyond ``size``.

    NOTE(xmlhooks): threads read the caches without a lock (a dict look-up
    is atomic); they change them under one, as the oldest key is found by
    iterating, which another thread's insertion would break.
    """
    with _remember_lock:
        if len(cache) >= size:
            # NOTE(xmlhooks): dicts keep their order; a host applies few
            # distinct rule sets, and few distinct elements recur.
            cache.pop(next(iter(cache)), None)
        cache[key] = value


def from_conf(conf: cfg.ConfigOpts) -> SchemaCheck | None:
    """Build the schema check that ``[xmlhooks]`` asks for.

    :param conf: the service's ``oslo_config.cfg.ConfigOpts``
    :returns: a :class:`SchemaCheck`, or None when validation is off
    :raises: nova_xmlhooks.exception.XmlHooksError if ``validate_schema``
        is true and the schema cannot be compiled
    """
    group = conf.xmlhooks
    if group.validate_schema is False:
        return None
    path = group.schema_path
    if group.validate_schema is None:
        if not os.path.exists(path):
            LOG.info('libvirt schema %s not found; customised domain XML '
                     'is not validated', path)
            return None
        try:
            return SchemaCheck(compile_schema(path), path)
        except exception.XmlHooksError as e:
            LOG.warning('Not validating customised domain XML: %s',
                        e.format_message())
            return None
    if not os.path.exists(path):
        raise exception.XmlHooksError(
            reason='[xmlhooks] validate_schema is true but schema_path %s '
                   'does not exist' % path)
    return SchemaCheck(compile_schema(path), path)
